package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// The simulator ends what it started: an interrupted run leaves no session of its
// own active, and with the admin API its made-up locations are forgotten.

// simSeries returns, per metric name, the series whose location starts with "Sim ",
// and the sum of synthesisvr_sessions_active over them.
func simSeries(t *testing.T, base string) (map[string]int, float64) {
	t.Helper()
	families := scrapeFamilies(t, base)
	series, active := map[string]int{}, 0.0
	for name, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "location" && strings.HasPrefix(l.GetValue(), "Sim ") {
					series[name]++
					if name == "synthesisvr_sessions_active" {
						active += m.GetGauge().GetValue()
					}
				}
			}
		}
	}
	return series, active
}

// runMainEnv makes the test binary run the simulator's main instead of the tests,
// so that a test can send a real SIGINT to a simulator process.
const runMainEnv = "SIMULATOR_TEST_RUN_MAIN"

// startSimulator runs the simulator with args, in this process until interrupt is
// called or as a child process that interrupt sends SIGINT to, and returns a
// channel that is closed when it has ended.
func startSimulator(t *testing.T, child bool, out *proctest.Buffer, args []string) (interrupt func(), ended <-chan struct{}) {
	t.Helper()
	done := make(chan struct{})
	if !child {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go func() {
			defer close(done)
			if code := runContext(ctx, args, out, out); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
		}()
		return cancel, done
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	p := proctest.StartTB(t, cmd, out)
	go func() {
		defer close(done)
		<-p.Done()
		if err := p.Err(); err != nil {
			t.Errorf("the simulator ended with %v, want exit code 0", err)
		}
	}()
	return func() {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Error(err)
		}
	}, done
}

func TestSimulatorCleansUpWhenInterrupted(t *testing.T) {
	cases := map[string]struct{ adminAPI, child bool }{
		"admin API on":            {adminAPI: true},
		"admin API off":           {},
		"SIGINT to the simulator": {adminAPI: true, child: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var args []string
			if c.adminAPI {
				args = append(args, "--web.enable-admin-api")
			}
			p := startExporter(t, []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + simToken}, args)
			var out proctest.Buffer
			// Far more events than the test waits for, deletes missing on purpose:
			// only the clean-up can end those sessions.
			interrupt, ended := startSimulator(t, c.child, &out, []string{"--exporter.url=" + p.base, "--webhook.token=" + simToken,
				"load", "--events=100000000", "--rate=300", "--connections=4", "--locations=3", "--sessions=100",
				"--edges.missing-delete=0.3", "--seed=7"})
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, active := simSeries(t, p.base); active >= 20 {
					break
				}
				if time.Now().After(deadline) {
					interrupt()
					<-ended
					t.Fatalf("the load did not start sessions at Sim locations within 20 s; output:\n%s", out.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			interrupt()
			select {
			case <-ended:
			case <-time.After(30 * time.Second):
				t.Fatalf("the simulator did not stop within 30 s of the interrupt; output:\n%s", out.String())
			}
			series, active := simSeries(t, p.base)
			if active != 0 {
				t.Errorf("%g sessions of the simulator are still active after it stopped; output:\n%s", active, out.String())
			}
			if !strings.Contains(out.String(), "Sessions ended") {
				t.Errorf("the simulator did not say it ended its sessions; output:\n%s", out.String())
			}
			switch {
			case c.adminAPI && len(series) > 0:
				t.Errorf("the simulator's locations are still exported after it forgot them: %v; output:\n%s", series, out.String())
			case !c.adminAPI && series["synthesisvr_sessions_active"] != 3:
				t.Errorf("without the admin API the 3 locations stay, with no session; got %v", series)
			}
		})
	}
}

func TestSimulatorStartsItsOwnExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped in -short mode")
	}
	t.Setenv("SYNTHESISVR_WEBHOOK_TOKEN", "")
	var out proctest.Buffer
	code := runContext(context.Background(), []string{"--exporter.binary=" + exporterBin,
		"load", "--events=300", "--connections=2", "--locations=2", "--seed=3"}, &out, &out)
	if code != 0 {
		t.Fatalf("exit code %d, want 0; output:\n%s", code, out.String())
	}
	m := regexp.MustCompile(`started its own exporter.* url=(http://127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the simulator did not say which exporter it started; output:\n%s", out.String())
	}
	if strings.HasSuffix(m[1], ":9865") {
		t.Errorf("the simulator's own exporter took the exporter's default port: %s", m[1])
	}
	for _, want := range []string{"Sending events\" url=" + m[1] + "/webhook/<token>", "Locations forgotten through the admin API\" forgotten=2 of=2"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not hold %q:\n%s", want, out.String())
		}
	}
	client := &http.Client{Timeout: time.Second}
	if resp, err := client.Get(m[1] + "/-/ready"); err == nil {
		resp.Body.Close()
		t.Errorf("the simulator's own exporter at %s still answers after the simulator ended (%s)", m[1], resp.Status)
	}
}
