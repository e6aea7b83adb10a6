// Package proctest starts programs as child processes on free loopback ports, waits
// until they answer, and stops them, leaving none behind: the end-to-end tests, the
// Redis store's tests and the simulator's benchmark share it. Functions that return
// errors suit any program; those ending in TB fail a test instead and register the
// child's end with its Cleanup.
package proctest

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FreeAddr returns a loopback address whose port was free a moment ago. Another
// program may take it before the child binds it: callers that care retry on
// "address already in use".
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// FreeAddrTB is FreeAddr, failing t when no port can be had.
func FreeAddrTB(t testing.TB) string {
	t.Helper()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatalf("finding a free loopback port: %v", err)
	}
	return addr
}

// Buffer collects a child's output. It is safe for concurrent use, so a test can read
// it while the child writes.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Process is a started child. Its methods are safe for concurrent use.
type Process struct {
	// Cmd is the command it runs; Cmd.Process is the running child.
	Cmd *exec.Cmd
	// Log holds what it wrote to stdout and stderr.
	Log  *Buffer
	done chan struct{}
	err  error // cmd.Wait's answer, set before done is closed
}

// Start starts cmd with its stdout and stderr in log (a fresh Buffer when nil), and
// notes its end when it comes. The caller must end it (Stop, Kill) or wait for it.
func Start(cmd *exec.Cmd, log *Buffer) (*Process, error) {
	if log == nil {
		log = &Buffer{}
	}
	p := &Process{Cmd: cmd, Log: log, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = log, log
	// A grandchild that inherited the output (a Redis rewrite child) could otherwise
	// keep Wait waiting for the pipe to close after the child itself ended.
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 2 * time.Second
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// StartTB is Start, failing t when the program cannot start, and killing the child
// when t ends if it still runs then.
func StartTB(t testing.TB, cmd *exec.Cmd, log *Buffer) *Process {
	t.Helper()
	p, err := Start(cmd, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Kill(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// Done is closed when the child has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the child has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err returns how the child ended (cmd.Wait's answer: nil for exit status 0, an
// *exec.ExitError otherwise), or nil while it runs.
func (p *Process) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Wait waits at most timeout for the child to end and returns how it ended.
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s (pid %d) did not exit within %s", p.Cmd.Path, p.Cmd.Process.Pid, timeout)
	}
}

// Stop ends the child with SIGTERM, as an operator would, and waits for it; if it
// has not ended after timeout it is killed, and Stop returns an error that says so.
func (p *Process) Stop(timeout time.Duration) error {
	if p.Exited() {
		return nil
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		if err := p.Kill(); err != nil {
			return err
		}
		return fmt.Errorf("%s (pid %d) did not stop within %s after SIGTERM, and was killed", p.Cmd.Path, p.Cmd.Process.Pid, timeout)
	}
}

// killTimeout bounds the wait for a killed child: SIGKILL cannot be caught, so only a
// process stuck in the kernel takes longer.
const killTimeout = 10 * time.Second

// Kill ends the child at once with SIGKILL, as a crash would, and waits for it. It
// does nothing to a child that has ended.
func (p *Process) Kill() error {
	if p.Exited() {
		return nil
	}
	if err := p.Cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(killTimeout):
		return fmt.Errorf("%s (pid %d) did not exit within %s after SIGKILL", p.Cmd.Path, p.Cmd.Process.Pid, killTimeout)
	}
}

// pollClient asks without keeping connections alive, so that each poll sees the
// server as it is now.
var pollClient = &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// WaitHTTP polls url every poll until a GET answers 200 OK, the child exits, or
// timeout passes.
func (p *Process) WaitHTTP(url string, timeout, poll time.Duration) error {
	return p.waitFor(timeout, poll, func() bool {
		resp, err := pollClient.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, fmt.Sprintf("%s did not answer 200", url))
}

// WaitTCP polls addr every poll until it takes a TCP connection, the child exits, or
// timeout passes.
func (p *Process) WaitTCP(addr string, timeout, poll time.Duration) error {
	return p.waitFor(timeout, poll, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}, fmt.Sprintf("%s took no connection", addr))
}

// WaitFunc polls ready every poll until it returns nil, the child exits, or timeout
// passes; the error then carries ready's last answer.
func (p *Process) WaitFunc(timeout, poll time.Duration, ready func(context.Context) error) error {
	var last error
	err := p.waitFor(timeout, poll, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		last = ready(ctx)
		return last == nil
	}, "not ready")
	if err != nil && last != nil {
		return fmt.Errorf("%w: %v", err, last)
	}
	return err
}

func (p *Process) waitFor(timeout, poll time.Duration, ready func() bool, what string) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.Exited() {
			return fmt.Errorf("the process exited: %v", p.err)
		}
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s within %s", what, timeout)
		}
		select {
		case <-p.done:
		case <-time.After(poll):
		}
	}
}

// RunWithBinary builds the main package pkg into a fresh temporary folder, sets *bin
// to the binary, runs the tests and removes the folder: a TestMain of end-to-end tests
// calls it and exits with its code. With -short the binary is not built and *bin
// stays empty, so that the tests can skip.
func RunWithBinary(m *testing.M, pkg string, bin *string) int {
	return RunWithBinaries(m, map[string]*string{pkg: bin})
}

// RunWithBinaries is RunWithBinary for several main packages, each binary set into
// its variable: one go build builds them all, in parallel and sharing what they have
// in common, which costs less than building them one after the other.
func RunWithBinaries(m *testing.M, bins map[string]*string) int {
	flag.Parse()
	if testing.Short() {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "synthesisvr-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	pkgs := make([]string, 0, len(bins))
	for pkg, bin := range bins {
		pkgs = append(pkgs, pkg)
		*bin = filepath.Join(dir, path.Base(pkg))
		if runtime.GOOS == "windows" {
			*bin += ".exe"
		}
	}
	sort.Strings(pkgs)
	// An -o that ends with a separator is a folder: each main package's binary goes
	// into it under the package's last element.
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build %s: %v\n%s", strings.Join(pkgs, " "), err, out)
		return 1
	}
	return m.Run()
}
