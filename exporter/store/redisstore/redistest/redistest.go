// Package redistest starts a real redis-server for tests, on a free loopback port,
// and stops it when the test ends. Only tests import it.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// readyTimeout bounds every wait for the server to start or stop.
const readyTimeout = 10 * time.Second

// Options change how the server runs.
type Options struct {
	// AppendOnly keeps an append-only file (appendfsync everysec, or always with
	// FsyncAlways), so that a stopped server comes back with its data.
	AppendOnly  bool
	FsyncAlways bool
}

// Server is a running redis-server.
type Server struct {
	t    testing.TB
	Addr string // 127.0.0.1:port
	dir  string // its working folder, where an append-only file is kept
	opts Options
	// sentinel, when set, makes this a Sentinel watching that master.
	sentinel *sentinelOf

	mu   sync.Mutex
	proc *proctest.Process // the current run; nil before the first start
}

// Start starts redis-server and waits until it answers. Without redis-server on
// PATH the test is skipped, or fails when CI=true.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	return startServer(t, &Server{t: t, dir: t.TempDir(), opts: o})
}

// sentinelOf is the master a Sentinel watches.
type sentinelOf struct {
	name, addr string
}

// StartSentinel starts a Sentinel (redis-server --sentinel) that watches master
// under the name masterName, with a quorum of one.
func StartSentinel(t testing.TB, master *Server, masterName string) *Server {
	t.Helper()
	return startServer(t, &Server{t: t, dir: t.TempDir(), sentinel: &sentinelOf{name: masterName, addr: master.Addr}})
}

func startServer(t testing.TB, s *Server) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		msg := "redis-server is not installed (Debian: apt-get install redis-server): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for attempt := 1; ; attempt++ {
		s.Addr = proctest.FreeAddrTB(t)
		err := s.start()
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(s.output(), "Address already in use") {
			t.Fatalf("redis-server did not start: %v\n%s", err, s.output())
		}
	}
	t.Cleanup(func() { s.stop(syscall.SIGKILL) })
	return s
}

// URL is the server's redis:// URL for database db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// Client returns a client of database 0, closed when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Stop stops the server with SIGTERM, as an operator would (it writes its
// append-only file first), and waits for it to exit.
func (s *Server) Stop() {
	s.t.Helper()
	s.stop(syscall.SIGTERM)
}

// Restart starts the server again on the same port and folder.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("redis-server did not restart: %v\n%s", err, s.output())
	}
}

func (s *Server) args() ([]string, error) {
	_, port, _ := net.SplitHostPort(s.Addr)
	if s.sentinel != nil {
		// A Sentinel rewrites its configuration file, so it needs one of its own.
		host, mport, _ := net.SplitHostPort(s.sentinel.addr)
		conf := filepath.Join(s.dir, "sentinel.conf")
		text := fmt.Sprintf("port %s\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\n", port, s.dir, s.sentinel.name, host, mport)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return nil, err
		}
		return []string{conf, "--sentinel", "--loglevel", "warning"}, nil
	}
	a := []string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--dir", s.dir,
		"--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning"}
	if !s.opts.AppendOnly {
		return append(a, "--appendonly", "no"), nil
	}
	fsync := "everysec"
	if s.opts.FsyncAlways {
		fsync = "always"
	}
	return append(a, "--appendonly", "yes", "--appendfsync", fsync), nil
}

func (s *Server) start() error {
	args, err := s.args()
	if err != nil {
		return err
	}
	p, err := proctest.Start(exec.Command("redis-server", args...), nil)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	// PING, not a bare connection: Redis takes connections while it loads its
	// append-only file, and answers LOADING until it has.
	c := redis.NewClient(&redis.Options{Addr: s.Addr, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	err = p.WaitFunc(readyTimeout, 20*time.Millisecond, func(ctx context.Context) error { return c.Ping(ctx).Err() })
	if err != nil {
		s.stop(syscall.SIGKILL)
		return fmt.Errorf("redis-server on %s did not answer PING: %w", s.Addr, err)
	}
	return nil
}

// stop ends the current run with sig (SIGTERM: as an operator would; SIGKILL: as a
// crash would), and SIGKILL after readyTimeout.
func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return
	}
	if sig != syscall.SIGKILL {
		if err := p.Stop(readyTimeout); err != nil {
			s.t.Log(err) // killed instead: the data it kept is what a test then sees
		}
		return
	}
	if err := p.Kill(); err != nil {
		s.t.Error(err)
	}
}

func (s *Server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return ""
	}
	return s.proc.Log.String()
}
