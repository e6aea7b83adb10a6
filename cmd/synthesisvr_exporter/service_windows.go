//go:build windows

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/windows/svc"
)

// serviceStopHint is how long Windows is told a stop may take: the drain delay,
// the requests in flight and the store's close (systemd's TimeoutStopSec too).
const serviceStopHint = 30_000 // milliseconds

// runService runs the exporter under the Windows service manager when it started
// the process; ok is false for a run from a console. As a service the exporter
// starts in System32, so its data default to %ProgramData%\synthesisvr_exporter,
// and it has no console: it logs to synthesisvr_exporter.log in that folder.
func runService(args []string) (code int, ok bool) {
	isService, err := svc.IsWindowsService()
	if err != nil || !isService {
		return 0, false
	}
	dir := serviceDataDir()
	log := io.Discard
	if err := os.MkdirAll(dir, 0o750); err == nil {
		if f, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640); err == nil {
			defer f.Close()
			log = f
		}
	}
	h := &service{args: args, log: log, storage: filepath.Join(dir, "synthesisvr.db")}
	if err := svc.Run(name, h); err != nil {
		fmt.Fprintf(log, "%s: running as a Windows service: %v\n", name, err)
		return 1, true
	}
	return h.code, true
}

// serviceDataDir is %ProgramData%\synthesisvr_exporter.
func serviceDataDir() string {
	base := os.Getenv("ProgramData")
	if base == "" {
		base = `C:\ProgramData`
	}
	return filepath.Join(base, name)
}

// service is the exporter as a svc.Handler.
type service struct {
	args    []string
	log     io.Writer
	storage string
	code    int
}

// Execute runs the exporter and answers the service manager: Stop and Shutdown
// take the path of SIGTERM (drain, finish the requests in flight, close the store).
func (s *service) Execute(_ []string, requests <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	stop := make(chan os.Signal, 1)
	started := make(chan struct{}, 1)
	done := make(chan int, 1)
	go func() {
		done <- runWith(s.args, s.log, s.log, hooks{
			storagePath: s.storage,
			stop:        stop,
			started:     func() { started <- struct{}{} },
		})
	}()
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	for {
		select {
		case <-started:
			status <- svc.Status{State: svc.Running, Accepts: accepts}
		case s.code = <-done:
			// A non-zero exit code marks the service as failed, so that its
			// recovery actions (sc.exe failure) restart it.
			return false, uint32(s.code)
		case r := <-requests:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending, WaitHint: serviceStopHint}
				select {
				case stop <- syscall.SIGTERM:
				default: // a stop is already on its way
				}
			}
		}
	}
}
