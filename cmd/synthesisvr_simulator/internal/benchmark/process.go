package benchmark

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// readyTimeout bounds every wait for a child to become ready or to stop.
const readyTimeout = 30 * time.Second

// process is a server started as a child, on a loopback port of its own.
type process struct {
	*proctest.Process
	name string
	base string
	// Started is how long the child took from its start to answering /-/ready 200.
	Started time.Duration
	// companions are children it needs (a redis-server), ended after it.
	companions []*proctest.Process
}

// startProcess runs bin with args, the listen address given by addrFlag, and waits
// until /-/ready answers 200.
func startProcess(name, bin, addrFlag string, args, env []string) (*process, error) {
	addr, err := proctest.FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append(slices.Clone(args), addrFlag+"="+addr)...)
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	child, err := proctest.Start(cmd, nil)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{Process: child, name: name, base: "http://" + addr}
	// Polled every millisecond, so that start-up is timed closely.
	if err := p.WaitHTTP(p.base+"/-/ready", readyTimeout, time.Millisecond); err != nil {
		p.kill()
		return nil, fmt.Errorf("%s did not become ready: %w\n%s", name, err, p.Log)
	}
	p.Started = time.Since(start)
	return p, nil
}

// stop ends the child with SIGTERM, as an operator would, and waits for it, then its
// companions.
func (p *process) stop() error {
	err := p.Stop(readyTimeout)
	p.endCompanions()
	return err
}

// kill ends the child at once (cleanup after a failure), then its companions.
func (p *process) kill() {
	_ = p.Kill()
	p.endCompanions()
}

// endCompanions stops the companions, after the child, with SIGTERM (redis-server
// then ends an append-only-file rewrite child of its own too).
func (p *process) endCompanions() {
	for _, c := range p.companions {
		_ = c.Stop(readyTimeout)
	}
	p.companions = nil
}

// rss returns the child's resident set size in bytes, from /proc (Linux only).
func (p *process) rss() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("reading the RSS of %s: %w", p.name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.Cmd.Process.Pid)
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: fixed at 100 by the
// kernel's ABI, whatever its internal tick rate.
const userHZ = 100

// cpu returns the CPU time (user and system, every thread) the child and its
// companions (Redis does the work of the exporter's Lua scripts) have used, from
// /proc (Linux only), to a hundredth of a second.
func (p *process) cpu() (time.Duration, error) {
	total, err := cpuOf(p.Cmd.Process.Pid)
	for _, c := range p.companions {
		d, cerr := cpuOf(c.Cmd.Process.Pid)
		total, err = total+d, errors.Join(err, cerr)
	}
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of %s: %w", p.name, err)
	}
	return total, nil
}

// cpuOf reads a process's CPU time from /proc/<pid>/stat.
func cpuOf(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces and parentheses; the fields
	// after its last closing one do not.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	// utime and stime are the 14th and 15th fields; f starts at the 3rd.
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// webhookURL is the receiver's URL on this child.
func (p *process) webhookURL(token string) string { return p.base + "/webhook/" + token }

// ctxSleep sleeps d or until ctx ends.
func ctxSleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
