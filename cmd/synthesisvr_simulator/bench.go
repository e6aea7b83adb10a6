package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/benchmark"
)

// exporterPackage is built when no --exporter.binary is given.
const exporterPackage = "github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_exporter"

func addBench(app *kingpin.Application, t *targetFlags) registered {
	cmd := app.Command("bench", "Measure the exporter (memory and bolt stores) beside a bare gin handler (the ceiling) in one run, and print the figures beside their targets; exit 1 when a target is missed.")
	o := benchmark.Options{}
	cmd.Flag("duration", "Each throughput measurement.").Default("2s").DurationVar(&o.Duration)
	cmd.Flag("warmup", "Load sent before each throughput measurement, not counted.").Default("500ms").DurationVar(&o.Warmup)
	cmd.Flag("connections", "Concurrent connections of the throughput measurements (repeatable).").Default("10", "50").IntsVar(&o.Connections)
	cmd.Flag("rounds", "Rounds of throughput measurements, every server in turn in each, so that all see the same noise; the median is reported.").Default("7").IntVar(&o.Rounds)
	cmd.Flag("steady.rate", "Events per second of the steady run on bolt.").Default("1000").Float64Var(&o.SteadyRate)
	cmd.Flag("steady.duration", "How long the steady run lasts.").Default("10s").DurationVar(&o.SteadyDuration)
	cmd.Flag("state.locations", "Locations of the state for the scrape, RSS and start-up measures.").Default("1000").IntVar(&o.StateLocations)
	cmd.Flag("state.sessions", "Active sessions of that state.").Default("10000").IntVar(&o.StateSessions)
	cmd.Flag("scrapes", "How many scrapes of /metrics are timed.").Default("30").IntVar(&o.Scrapes)
	cmd.Flag("wrk.rounds", "Rounds of the same throughput measurements with wrk (Debian's wrk package), reported beside the Go load generator's; 0 leaves wrk out.").Default("3").IntVar(&o.WrkRounds)
	cmd.Flag("seed", "Seed of the generated events.").Default("1").Uint64Var(&o.Seed)
	quick := cmd.Flag("quick", "Check that the benchmark runs: one short round of each measurement and a small state, whatever the flags above say; its figures are rough.").Bool()
	return registered{clause: cmd, prepare: func() (command, error) {
		if *quick {
			o = quickOptions(o)
		}
		return func(ctx context.Context, env *runEnv) int { return runBench(ctx, env, o, t.binary) }, nil
	}}
}

// quickOptions shrinks every measurement of o to check in a minute that all of them run.
func quickOptions(o benchmark.Options) benchmark.Options {
	o.Duration, o.Warmup, o.Rounds = time.Second, 200*time.Millisecond, 1
	o.WrkRounds = min(o.WrkRounds, 1)
	o.SteadyDuration = 2 * time.Second
	o.StateLocations, o.StateSessions, o.Scrapes = 100, 1000, 5
	return o
}

func runBench(ctx context.Context, env *runEnv, o benchmark.Options, bin string) int {
	dir, err := os.MkdirTemp("", "synthesisvr-bench-")
	if err != nil {
		env.logger.Error("Creating a temporary folder failed", "err", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "synthesisvr_exporter")
		fmt.Fprintln(env.stderr, "building the exporter...")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, exporterPackage).CombinedOutput(); err != nil {
			env.logger.Error("Building the exporter failed; pass --exporter.binary, or run from the module", "err", err, "output", string(out))
			return 1
		}
	}
	self, err := os.Executable()
	if err != nil {
		env.logger.Error("Finding this program to run the ceiling failed", "err", err)
		return 1
	}
	o.Dir, o.Progress = dir, env.stderr
	o.Env = benchmark.Env{ExporterBin: bin, CeilingCmd: []string{self, "ceiling"}, Token: randomToken()}
	res, err := benchmark.Run(ctx, o)
	if err != nil {
		env.logger.Error("Benchmark failed", "err", err)
		return 1
	}
	fmt.Fprintf(env.stdout, "\n%s bench on %s, GOMAXPROCS of the exporter: all cores (the load generator shares them)\n\n", name, time.Now().Format(time.DateTime))
	if res.Report(env.stdout) > 0 {
		return 1
	}
	return 0
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// addCeiling is the bare handler the benchmark measures the exporter against, run
// as a child process like the exporter itself.
func addCeiling(app *kingpin.Application) registered {
	cmd := app.Command("ceiling", "Serve the benchmark's ceiling: a bare gin handler that reads the body and answers 204.").Hidden()
	addr := cmd.Flag("listen-address", "Where to listen.").Default("127.0.0.1:9866").String()
	return registered{clause: cmd, prepare: func() (command, error) {
		return func(ctx context.Context, env *runEnv) int {
			ln, err := net.Listen("tcp", *addr)
			if err != nil {
				env.logger.Error("Listening failed", "err", err)
				return 1
			}
			srv := &http.Server{Handler: benchmark.Ceiling(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute}
			go func() {
				<-ctx.Done()
				_ = srv.Close()
			}()
			if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
				env.logger.Error("Serving failed", "err", err)
				return 1
			}
			return 0
		}, nil
	}}
}
