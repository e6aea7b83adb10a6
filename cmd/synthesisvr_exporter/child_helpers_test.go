package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// child is a process a test started: its log, and whether and how it ended. The
// exporter and Prometheus helpers embed it.
type child struct {
	cmd     *exec.Cmd
	log     *logBuffer
	done    chan struct{}
	exitErr error
}

// startChild starts cmd with its output in log, and notes its end when it comes.
func startChild(t *testing.T, cmd *exec.Cmd, log *logBuffer) *child {
	t.Helper()
	c := &child{cmd: cmd, log: log, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.done)
	}()
	return c
}

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitReady polls base's /-/ready every poll until it answers 200, the process
// exits, or timeout passes.
func (c *child) waitReady(base string, timeout, poll time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.exited() {
			return fmt.Errorf("process exited: %v", c.exitErr)
		}
		if resp, err := client.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(poll)
	}
	return fmt.Errorf("/-/ready did not answer 200 within %s", timeout)
}
