package benchmark

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Goals of the issue that are not ratios.
const (
	GoalSteadyP99 = 20 * time.Millisecond
	GoalScrape    = 60 * time.Millisecond
	GoalRSS       = 64 << 20
)

// Report writes the results as tables, each figure beside its target, and returns
// how many targets were missed.
func (r *Results) Report(w io.Writer) int {
	missed := r.reportThroughput(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tfigure\ttarget\tmet")
	s := r.State
	missed += row(tw, fmt.Sprintf("p99 at a steady %.0f events/s on bolt (p50 %s, max %s, %d failed)", r.Options.SteadyRate, msf(r.Steady.Latency.P50), msf(r.Steady.Latency.Max), r.Steady.Failed()),
		msf(r.Steady.Latency.P99), "< "+msf(GoalSteadyP99), r.Steady.Latency.P99 < GoalSteadyP99 && r.Steady.Failed() == 0)
	missed += row(tw, fmt.Sprintf("/metrics with %d locations, %d sessions: median (max %s)", s.Locations, s.Sessions, msf(s.ScrapeMax)),
		msf(s.ScrapeP50), "< "+msf(GoalScrape), s.ScrapeP50 < GoalScrape)
	row(tw, "/metrics size (gzip as Prometheus fetches it)", fmt.Sprintf("%s (%s)", kib(s.ScrapeBytes), kib(s.ScrapeGzipBytes)), "", true)
	missed += row(tw, fmt.Sprintf("RSS with %d sessions (empty: %s)", s.Sessions, mib(s.RSSEmpty)), mib(s.RSSFull), "< "+mib(GoalRSS), s.RSSFull < GoalRSS)
	row(tw, fmt.Sprintf("RSS per 10,000 active sessions (over empty)"), mib((s.RSSFull-s.RSSEmpty)*10000/int64(max(s.Sessions, 1))), "", true)
	row(tw, fmt.Sprintf("start-up to ready, %d sessions on disk (empty file: %s)", s.Sessions, msf(s.StartEmpty)), msf(s.StartFull), "", true)
	tw.Flush()
	fmt.Fprintln(w)
	if missed == 0 {
		fmt.Fprintln(w, "All targets met.")
	} else {
		fmt.Fprintf(w, "%d targets missed.\n", missed)
	}
	return missed
}

// reportThroughput writes the throughput table and counts the missed targets.
func (r *Results) reportThroughput(w io.Writer) int {
	o := r.Options
	fmt.Fprintf(w, "Throughput, one event per POST, closed loop, %s per measurement after %s warm-up", o.Duration, o.Warmup)
	if o.Rounds > 1 {
		fmt.Fprintf(w, ", %d rounds taking turns (median round; median ratio)", o.Rounds)
	}
	fmt.Fprintln(w, "; ceiling = bare gin handler reading the body and answering 204, measured before and after the others in each round, each ratio taken to the mean of the two:")
	missed := throughputTable(w, r.Throughput)
	for _, s := range r.Skipped {
		fmt.Fprintln(w, s)
	}
	r.reportWrk(w)
	return missed
}

// reportWrk writes the wrk measurements, or why there are none.
func (r *Results) reportWrk(w io.Writer) {
	if r.Options.WrkRounds == 0 {
		return
	}
	fmt.Fprintln(w)
	if r.WrkSkipped != "" {
		fmt.Fprintf(w, "wrk: %s\n", r.WrkSkipped)
		return
	}
	fmt.Fprintf(w, "The same with wrk (-t2, whole seconds, rounds: %d; reported, not a target): one event per POST from its Lua script, "+
		"a fresh uuid from a counter, each session created then deleted %d creates later; CPU/request: load is wrk's:\n",
		r.Options.WrkRounds, wrkLag)
	throughputTable(w, r.Wrk)
}

// throughputTable writes one row per target and connections, and counts the missed
// targets.
func throughputTable(w io.Writer, rows []Throughput) int {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tconnections\trequests/s\tp50\tp99\tfailed\tCPU/request: server\tload\tratio to ceiling\ttarget\tmet\t")
	missed := 0
	for _, t := range rows {
		m := t.Median()
		rps := m.RequestsPerSecond()
		ratio := t.Ratio()
		target, met := "", ""
		if t.Goal > 0 {
			target = fmt.Sprintf(">= %.2f", t.Goal)
			met = "yes"
			if ratio < t.Goal || t.failed() > 0 {
				met = "NO"
				missed++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%d\t%s\t%s\t%.2f\t%s\t%s\t\n", t.Target, t.Connections, rps, msf(m.Latency.P50), msf(m.Latency.P99), t.failed(),
			usf(m.ServerCPU), usf(m.LoadCPU), ratio, target, met)
	}
	tw.Flush()
	return missed
}

// row writes one measure; it returns 1 when a target is missed.
func row(w io.Writer, name, figure, target string, met bool) int {
	verdict := ""
	if target != "" {
		verdict = "yes"
		if !met {
			verdict = "NO"
		}
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, figure, target, verdict)
	if target != "" && !met {
		return 1
	}
	return 0
}

func msf(d time.Duration) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", float64(d)/1e6), "0"), ".") + " ms"
}

func usf(d time.Duration) string { return fmt.Sprintf("%.0f us", float64(d)/1e3) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func kib(b int) string { return fmt.Sprintf("%.0f KiB", float64(b)/1024) }

// failed counts the requests of every round that got no 200 or 204.
func (t Throughput) failed() int {
	n := 0
	for _, r := range t.Rounds {
		n += r.Failed()
	}
	return n
}
