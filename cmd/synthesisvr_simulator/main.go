// Command synthesisvr_simulator is a SynthesisVR stand-in: it posts session webhooks
// to a synthesisvr_exporter, for demos (a believable venue chain), load runs, a
// correctness check under load, and the benchmark against the machine's ceiling.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
)

const name = "synthesisvr_simulator"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is a parsed subcommand, ready to run; it returns the exit code.
type command func(ctx context.Context, env *runEnv) int

// runEnv is what every subcommand gets.
type runEnv struct {
	stdout, stderr io.Writer
	logger         *slog.Logger
	// abort ends the clean-up after a run (a second interrupt).
	abort context.Context
}

// run is the whole program; it returns the exit code: 0 done, 1 a failure, a
// difference found by a check or a missed benchmark target, 2 a bad command line.
// The first SIGINT or SIGTERM stops the run, after which the simulator ends the
// sessions it started; a second one cuts that clean-up short.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	abort, abortNow := context.WithCancel(context.Background())
	defer abortNow()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		for first := true; ; first = false {
			select {
			case <-sigs:
			case <-abort.Done():
				return
			}
			if !first {
				abortNow()
				return
			}
			stop()
		}
	}()
	return runWith(ctx, abort, args, stdout, stderr)
}

// runContext is run until ctx ends, for tests; its clean-up is bounded by time only.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, context.Background(), args, stdout, stderr)
}

// runWith runs until ctx ends; abort ends the clean-up after it.
func runWith(ctx, abort context.Context, args []string, stdout, stderr io.Writer) int {
	app := kingpin.New(name, "Posts SynthesisVR session webhooks to a synthesisvr_exporter: a demo venue chain, load, a correctness check under load, and the benchmark.")
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	terminated := false
	app.Terminate(func(int) { terminated = true })
	app.Version(version.Print(name))
	app.HelpFlag.Short('h')
	logCfg := &promslog.Config{}
	promslogflag.AddFlags(app, logCfg)
	target := addTargetFlags(app)
	commands := []registered{addDemo(app, target), addLoad(app, target), addCheck(app, target), addBench(app, target), addCeiling(app), addAPI(app)}
	chosen, err := app.Parse(args)
	if terminated {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	logCfg.Writer = stderr
	env := &runEnv{stdout: stdout, stderr: stderr, logger: promslog.New(logCfg), abort: abort}
	for _, c := range commands {
		if c.clause.FullCommand() == chosen {
			cmd, err := c.prepare()
			if err != nil {
				fmt.Fprintf(stderr, "%s %s: %v\n", name, chosen, err)
				return 2
			}
			return cmd(ctx, env)
		}
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n", name, chosen)
	return 2
}

// registered is a subcommand: its clause, and what checks its flags and builds it.
type registered struct {
	clause  *kingpin.CmdClause
	prepare func() (command, error)
}
