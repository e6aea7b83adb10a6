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
}

// run is the whole program; it returns the exit code: 0 done, 1 a failure, a
// difference found by a check or a missed benchmark target, 2 a bad command line.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// runContext is run until ctx ends, for tests.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
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
	commands := []registered{addDemo(app, target), addLoad(app, target), addCheck(app, target), addBench(app), addCeiling(app), addAPI(app)}
	chosen, err := app.Parse(args)
	if terminated {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	logCfg.Writer = stderr
	env := &runEnv{stdout: stdout, stderr: stderr, logger: promslog.New(logCfg)}
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
