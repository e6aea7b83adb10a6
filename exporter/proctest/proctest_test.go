package proctest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childRole makes this test binary play a child: the tests start it again with the
// role in its environment.
const childRole = "PROCTEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childRole) {
	case "":
		os.Exit(m.Run())
	case "serve":
		serve(os.Args[len(os.Args)-1])
	case "exit":
		fmt.Println("giving up")
		os.Exit(3)
	}
}

// serve answers 200 on addr until SIGTERM, which it ignores when asked to.
func serve(addr string) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("serving on", addr)
	go func() { _ = http.Serve(ln, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})) }()
	for range sig {
		if os.Getenv("IGNORE_TERM") == "" {
			fmt.Println("terminated")
			os.Exit(0)
		}
	}
}

// child returns a command that runs this binary in role, with addr as its last argument.
func child(t *testing.T, role, addr string, env ...string) *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", addr)
	cmd.Env = append(os.Environ(), append(env, childRole+"="+role)...)
	return cmd
}

func TestStartWaitStop(t *testing.T) {
	addr := FreeAddrTB(t)
	p := StartTB(t, child(t, "serve", addr), nil)
	if err := p.WaitHTTP("http://"+addr+"/-/ready", 10*time.Second, 10*time.Millisecond); err != nil {
		t.Fatalf("WaitHTTP: %v\n%s", err, p.Log)
	}
	if err := p.WaitTCP(addr, time.Second, 10*time.Millisecond); err != nil {
		t.Errorf("WaitTCP: %v", err)
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !p.Exited() || p.Err() != nil {
		t.Errorf("after Stop: exited %v, err %v; want a clean exit", p.Exited(), p.Err())
	}
	if log := p.Log.String(); !strings.Contains(log, "serving on "+addr) || !strings.Contains(log, "terminated") {
		t.Errorf("the log misses the child's output:\n%s", log)
	}
}

func TestWaitEndsWhenTheChildExits(t *testing.T) {
	log := &Buffer{}
	p := StartTB(t, child(t, "exit", "unused"), log)
	err := p.WaitHTTP("http://"+FreeAddrTB(t), time.Minute, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Fatalf("WaitHTTP = %v, want an error saying the process exited", err)
	}
	var ee *exec.ExitError
	if !errors.As(p.Err(), &ee) || ee.ExitCode() != 3 {
		t.Errorf("Err = %v, want exit status 3", p.Err())
	}
	if !strings.Contains(log.String(), "giving up") {
		t.Errorf("the given log misses the output: %q", log.String())
	}
}

func TestWaitTimesOut(t *testing.T) {
	p := StartTB(t, child(t, "serve", FreeAddrTB(t)), nil)
	err := p.WaitTCP(FreeAddrTB(t), 50*time.Millisecond, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "within 50ms") {
		t.Errorf("WaitTCP on a port nobody serves = %v, want a timeout", err)
	}
}

func TestStopKillsAChildThatIgnoresSIGTERM(t *testing.T) {
	addr := FreeAddrTB(t)
	p := StartTB(t, child(t, "serve", addr, "IGNORE_TERM=1"), nil)
	if err := p.WaitTCP(addr, 10*time.Second, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	err := p.Stop(200 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "was killed") {
		t.Errorf("Stop = %v, want an error saying it was killed", err)
	}
	if !p.Exited() {
		t.Error("the child still runs after Stop")
	}
}

func TestCleanupKillsTheChild(t *testing.T) {
	var p *Process
	t.Run("inner", func(t *testing.T) {
		addr := FreeAddrTB(t)
		p = StartTB(t, child(t, "serve", addr, "IGNORE_TERM=1"), nil)
		if err := p.WaitTCP(addr, 10*time.Second, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	})
	if p == nil || !p.Exited() {
		t.Fatal("the child outlived its test")
	}
}

func TestBufferIsSafeForConcurrentUse(t *testing.T) {
	b := &Buffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			fmt.Fprint(b, "x")
		}
	}()
	for range 100 {
		_ = b.String()
	}
	<-done
	if got := len(b.String()); got != 1000 {
		t.Errorf("%d bytes, want 1000", got)
	}
}
