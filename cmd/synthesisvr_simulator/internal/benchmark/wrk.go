package benchmark

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
)

// wrkScript makes wrk send one event per POST, creates then deletes (see its comment).
//
//go:embed wrk.lua
var wrkScript []byte

// wrkTargets are the servers wrk measures: the ceiling first, and the stores the
// issue names.
var wrkTargets = []string{"ceiling", "memory", "bolt"}

// wrkLag is how many creates a thread's delete trails behind, more than the
// connections of a thread, so that a delete finds its session.
const wrkLag = 64

// wrkInstall says how to get wrk.
const wrkInstall = "Debian: apt-get install wrk"

// runWrk measures the ceiling, memory and bolt with wrk, the ceiling before and after
// the others in each round as the Go load generator's rounds do. wrk costs less CPU
// per request than the Go load generator, which shares the machine's cores with the
// server, so its ratios say more about the server alone. It runs after the Go
// rounds, on servers already warm.
func (r *Results) runWrk(ctx context.Context, targets []Target, procs []*process) error {
	o := r.Options
	bin, err := exec.LookPath("wrk")
	if err != nil {
		r.WrkSkipped = "wrk not installed (" + wrkInstall + ")"
		fmt.Fprintf(o.Progress, "wrk left out: %s\n", r.WrkSkipped)
		return nil
	}
	script := filepath.Join(o.Dir, "wrk.lua")
	if err := os.WriteFile(script, wrkScript, 0o600); err != nil {
		return err
	}
	var ps []*process
	for _, name := range wrkTargets {
		for i, t := range targets {
			if t.Name == name {
				ps = append(ps, procs[i])
			}
		}
	}
	if len(ps) != len(wrkTargets) {
		return fmt.Errorf("wrk needs the targets %v", wrkTargets)
	}
	for _, c := range o.Connections {
		for _, name := range wrkTargets {
			r.Wrk = append(r.Wrk, Throughput{Target: name, Connections: c})
		}
	}
	for round := range o.WrkRounds {
		for ci, c := range o.Connections {
			got := make([][]Round, len(ps))
			order := make([]int, 0, len(ps)+1)
			for ti := range ps {
				order = append(order, ti)
			}
			for _, ti := range append(order, 0) { // the ceiling again
				run := fmt.Sprintf("r%dc%dt%d", round, c, len(got[ti]))
				res, err := wrk(ctx, bin, script, ps[ti], o.Env.Token, c, o.Duration, run)
				if err != nil {
					return fmt.Errorf("wrk on %s at %d connections: %w", wrkTargets[ti], c, err)
				}
				fmt.Fprintf(o.Progress, "wrk round %d, %-8s %2d connections: %.0f requests/s, p50 %s, p99 %s, %d failed\n",
					round+1, wrkTargets[ti], c, res.RequestsPerSecond(), msf(res.Latency.P50), msf(res.Latency.P99), res.Failed())
				got[ti] = append(got[ti], res)
			}
			ratios := roundRatios(got)
			for ti := range ps {
				th := &r.Wrk[ci*len(ps)+ti]
				th.Rounds = append(th.Rounds, got[ti]...)
				th.Ratios = append(th.Ratios, ratios[ti]...)
			}
		}
	}
	return nil
}

// wrk runs wrk -t2 against p's webhook for d (whole seconds, at least one) and reads
// the line its script prints, with the server's and wrk's CPU time per request.
func wrk(ctx context.Context, bin, script string, p *process, token string, conns int, d time.Duration, run string) (Round, error) {
	secs := max(1, int(math.Ceil(d.Seconds())))
	cmd := exec.CommandContext(ctx, bin, "-t2", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(secs)+"s",
		"-s", script, p.webhookURL(token), "--", run, strconv.Itoa(wrkLag))
	before, err := p.cpu()
	if err != nil {
		return Round{}, err
	}
	out, err := cmd.Output()
	if err != nil {
		return Round{}, fmt.Errorf("%w\n%s", err, out)
	}
	after, err := p.cpu()
	if err != nil {
		return Round{}, err
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return Round{}, err
	}
	n := time.Duration(max(res.Requests, 1))
	return Round{LoadResult: res, ServerCPU: (after - before) / n,
		LoadCPU: (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()) / n}, nil
}

// parseWrk reads the line of wrk.lua's done function.
func parseWrk(out string) (simulator.LoadResult, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "synthesisvr-wrk ")
		if !ok {
			continue
		}
		v := map[string]int64{}
		for _, f := range strings.Fields(rest) {
			key, val, _ := strings.Cut(f, "=")
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return simulator.LoadResult{}, fmt.Errorf("wrk printed %q: %w", f, err)
			}
			v[key] = n
		}
		us := func(k string) time.Duration { return time.Duration(v[k]) * time.Microsecond }
		res := simulator.LoadResult{
			Requests: int(v["requests"]), Events: int(v["requests"]), Elapsed: us("duration_us"),
			Errors:  int(v["status_errors"] + v["socket_errors"]),
			Latency: simulator.Latency{Count: int(v["requests"]), P50: us("p50_us"), P99: us("p99_us")},
		}
		if res.Errors > 0 {
			res.FirstError = fmt.Sprintf("%d answers of 400 or above, %d socket errors", v["status_errors"], v["socket_errors"])
		}
		if res.Requests == 0 || res.Elapsed <= 0 {
			return res, fmt.Errorf("wrk sent no request: %s", sc.Text())
		}
		return res, nil
	}
	return simulator.LoadResult{}, fmt.Errorf("wrk printed no summary line:\n%s", out)
}
