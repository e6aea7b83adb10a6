package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// ownExporter is the exporter the simulator starts when no --exporter.url or
// --webhook.url names one: on a free loopback port, with a bolt file in a temporary
// folder, its own token and the admin API, so that a run never writes into an
// exporter somebody else keeps.
type ownExporter struct {
	addr, token string
	// configFile, when set, is passed on: the demo's venues then post to the
	// webhooks the config binds to them.
	configFile string
	dir        string
	proc       *proctest.Process
}

// ownReadyTimeout bounds the own exporter's start and stop.
const ownReadyTimeout = 30 * time.Second

// start builds the exporter unless bin is given, and starts it.
func (o *ownExporter) start(ctx context.Context, env *runEnv, bin string) error {
	dir, err := os.MkdirTemp("", "synthesisvr-simulator-")
	if err != nil {
		return err
	}
	o.dir = dir
	if bin == "" {
		bin = besideSelf()
	}
	if bin == "" {
		bin = filepath.Join(dir, "synthesisvr_exporter")
		fmt.Fprintln(env.stderr, "building the exporter the simulator runs (pass --exporter.url to use yours)...")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, exporterPackage).CombinedOutput(); err != nil {
			return fmt.Errorf("building the exporter failed (pass --exporter.binary, run from the module, or name an exporter with --exporter.url): %w\n%s", err, out)
		}
	}
	args := []string{"--web.listen-address=" + o.addr, "--storage.path=" + filepath.Join(dir, "data", "synthesisvr.db"),
		"--web.enable-admin-api", "--log.level=warn"}
	if o.configFile != "" {
		args = append(args, "--config.file="+o.configFile)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(withoutSynthesisVREnv(), "SYNTHESISVR_WEBHOOK_TOKEN="+o.token)
	// Its own process group: a Ctrl-C in the terminal reaches the simulator alone,
	// which ends its sessions before it stops the exporter.
	detach(cmd)
	if o.proc, err = proctest.Start(cmd, nil); err != nil {
		return err
	}
	if err := o.proc.WaitHTTP(o.url()+"/-/ready", ownReadyTimeout, 20*time.Millisecond); err != nil {
		_ = o.proc.Kill()
		return fmt.Errorf("the exporter the simulator started did not become ready: %w\n%s", err, o.proc.Log)
	}
	env.logger.Info("The simulator started its own exporter; it stops with the simulator (pass --exporter.url to use another)",
		"url", o.url(), "metrics", o.url()+"/metrics", "admin_api", true)
	return nil
}

// besideSelf returns the synthesisvr_exporter in the simulator's own folder (a
// release, the container image), or "" when there is none.
func besideSelf() string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	bin := filepath.Join(filepath.Dir(self), "synthesisvr_exporter")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return ""
	}
	return bin
}

func (o *ownExporter) url() string { return "http://" + o.addr }

// stop ends the exporter with SIGTERM and removes its folder.
func (o *ownExporter) stop(env *runEnv) {
	if o.proc != nil {
		if err := o.proc.Stop(ownReadyTimeout); err != nil {
			env.logger.Warn("Stopping the simulator's own exporter", "err", err)
		}
		if o.proc.Err() != nil {
			env.logger.Warn("The simulator's own exporter ended with an error", "err", o.proc.Err(), "log", o.proc.Log.String())
		}
	}
	if o.dir != "" {
		_ = os.RemoveAll(o.dir)
	}
}

// withoutSynthesisVREnv is the environment without the exporter's own settings,
// which belong to the user's exporter, not to the simulator's.
func withoutSynthesisVREnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SYNTHESISVR_") {
			env = append(env, kv)
		}
	}
	return env
}
