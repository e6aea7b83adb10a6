package deploy_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// root is the repository's root: the tests run in deploy/.
const root = ".."

// inCI reports whether a missing real part is a failure (CI=true) rather than a skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail skips the test on a machine without a real part it needs, and fails it in CI.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if inCI() {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// lookTool returns the path of a command, or skips (fails in CI) with how to install it.
func lookTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		// Daemons such as haproxy install into /usr/sbin, off a user's PATH.
		if sbin, err2 := exec.LookPath("/usr/sbin/" + name); err2 == nil {
			return sbin
		}
		skipOrFail(t, "%s is not installed (Debian package %s): %v", name, pkg, err)
	}
	return p
}

// runTool runs a command for at most a minute and returns its combined output.
func runTool(t *testing.T, dir, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// readFile reads a file of the repository, by its path from the root.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes a file, creating its folder.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// command returns the path of one of the repository's commands (synthesisvr_exporter,
// synthesisvr_simulator), built once for all tests; ok is false when the repository
// has no such command.
func command(t *testing.T, name string) (path string, ok bool) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(root, "cmd", name)); err != nil {
		return "", false
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "deploy-test-bin")
		if binErr != nil {
			return
		}
		var out []byte
		cmd := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), "./cmd/...")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, binErr = cmd.CombinedOutput(); binErr != nil {
			binErr = &buildError{err: binErr, out: string(out)}
		}
	})
	if binErr != nil {
		t.Fatalf("building the commands: %v", binErr)
	}
	p := filepath.Join(binDir, name)
	if runtime.GOOS == "windows" {
		p += ".exe"
	}
	return p, true
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// checkFlags fails the test when the command does not accept these flags: it runs it
// with them and --help, which parses every flag and stops.
func checkFlags(t *testing.T, where, bin string, args []string) {
	t.Helper()
	out, err := runTool(t, ".", bin, append(append([]string{}, args...), "--help")...)
	if err != nil {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		t.Errorf("%s: %s does not accept %q: %v: %s", where, filepath.Base(bin), args, err, lines[len(lines)-1])
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
