package benchmark

import (
	"fmt"
	"net"
	"os/exec"
	"path/filepath"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// Target is one server that takes the throughput load: the ceiling, or the exporter
// with one store. Another store is one more entry in Targets.
type Target struct {
	Name string
	// Goals are the least share of the ceiling's requests/s to reach, by connections;
	// none for the ceiling itself or a store without a target.
	Goals map[int]float64
	// Start starts the server with its files in dir, a fresh folder; the webhook takes
	// env.Token.
	Start func(env *Env, dir string) (*process, error)
	// Needs names a program the target runs beside the exporter; without it on PATH
	// the target is left out, and the run says so.
	Needs, Install string
}

// available says why the target cannot run here, or nil.
func (t Target) available() error {
	if t.Needs == "" {
		return nil
	}
	if _, err := exec.LookPath(t.Needs); err != nil {
		return fmt.Errorf("%s is not installed (%s)", t.Needs, t.Install)
	}
	return nil
}

// Env is what targets are started with.
type Env struct {
	// ExporterBin is the built synthesisvr_exporter.
	ExporterBin string
	// CeilingCmd runs the bare handler; it takes --listen-address.
	CeilingCmd []string
	// Token is the webhook token every exporter takes.
	Token string
}

// Targets are the servers measured side by side, the ceiling first.
func Targets() []Target {
	return []Target{
		{Name: "ceiling", Start: startCeiling},
		// The memory store has no target: its ratio is reported (a library-first
		// receiver spends more CPU per request than the bare handler, and no venue
		// comes near either).
		{Name: "memory", Start: exporterWith("memory")},
		{Name: "bolt", Goals: map[int]float64{50: 0.40}, Start: exporterWith("bolt")},
		// The issue sets no target for Redis; its figures are for comparison.
		{Name: "redis", Start: exporterOnRedis, Needs: "redis-server", Install: "Debian: apt-get install redis-server"},
	}
}

// exporterOnRedis starts a redis-server of its own, with its files in dir and the
// persistence deploy/README.md recommends (append-only file, fsync every second), and the
// exporter on it.
func exporterOnRedis(env *Env, dir string) (*process, error) {
	addr, err := proctest.FreeAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	redis, err := proctest.Start(exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"), nil)
	if err != nil {
		return nil, err
	}
	// The exporter is ready only once Redis answers it, so its wait covers both.
	p, err := startExporter(env, "exporter/redis", filepath.Join(dir, "synthesisvr.db"),
		"--storage.backend=redis", "--storage.redis.url=redis://"+addr+"/0")
	if err != nil {
		_ = redis.Stop(readyTimeout)
		return nil, fmt.Errorf("%w\nredis-server: %s", err, redis.Log)
	}
	p.companions = append(p.companions, redis)
	return p, nil
}

func startCeiling(env *Env, _ string) (*process, error) {
	return startProcess("ceiling", env.CeilingCmd[0], "--listen-address", env.CeilingCmd[1:], nil)
}

// exporterWith starts the exporter on a store backend.
func exporterWith(backend string, args ...string) func(*Env, string) (*process, error) {
	return func(env *Env, dir string) (*process, error) {
		return startExporter(env, "exporter/"+backend, filepath.Join(dir, "synthesisvr.db"),
			append([]string{"--storage.backend=" + backend}, args...)...)
	}
}

// startExporter starts the exporter with the bolt file at path (also where a
// generated token would go), quiet logs, and tracing off.
func startExporter(env *Env, name, path string, args ...string) (*process, error) {
	return startProcess(name, env.ExporterBin, "--web.listen-address",
		append([]string{"--storage.path=" + path, "--log.level=warn"}, args...),
		[]string{"SYNTHESISVR_WEBHOOK_TOKEN=" + env.Token, "OTEL_SDK_DISABLED=true", "OTEL_TRACES_EXPORTER=none"})
}
