package deploy_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

const unitPath = "deploy/systemd/synthesisvr_exporter.service"

// unitSettings returns the unit's Key=value lines, continuation lines joined; a
// key given several times keeps every value.
func unitSettings(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var cur string
	for _, line := range strings.Split(string(readFile(t, unitPath)), "\n") {
		line = strings.TrimSpace(line)
		if cur == "" && (line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[")) {
			continue
		}
		if l, ok := strings.CutSuffix(line, `\`); ok {
			cur += l + " "
			continue
		}
		cur += line
		k, v, _ := strings.Cut(cur, "=")
		out[k] = append(out[k], v)
		cur = ""
	}
	return out
}

func TestSystemdUnitHardening(t *testing.T) {
	s := unitSettings(t)
	want := map[string]string{
		"DynamicUser":             "yes",
		"StateDirectory":          "synthesisvr_exporter",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"NoNewPrivileges":         "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"SystemCallFilter":        "@system-service",
		"CapabilityBoundingSet":   "",
		"EnvironmentFile":         "-/etc/synthesisvr_exporter/synthesisvr_exporter.env",
		"ExecReload":              "/bin/kill -HUP $MAINPID",
	}
	for k, v := range want {
		if len(s[k]) == 0 || s[k][0] != v {
			t.Errorf("%s: want %s=%s, got %q", unitPath, k, v, s[k])
		}
	}
	args := strings.Fields(s["ExecStart"][0])
	if args[0] != "/usr/local/bin/synthesisvr_exporter" {
		t.Errorf("ExecStart runs %s", args[0])
	}
	// The bolt file is in the state directory, the only place the service may write.
	if got := flagValue(args, "--storage.path"); !strings.HasPrefix(got, "%S/synthesisvr_exporter/") {
		t.Errorf("--storage.path=%s is not in StateDirectory (%%S/synthesisvr_exporter)", got)
	}
	bin, ok := command(t, "synthesisvr_exporter")
	if !ok {
		t.Fatal("no cmd/synthesisvr_exporter")
	}
	var flags []string
	for _, a := range args[1:] {
		if a != "$ARGS" {
			flags = append(flags, strings.ReplaceAll(a, "%S", "/var/lib"))
		}
	}
	checkFlags(t, "ExecStart", bin, flags)
	// The env file's example of ARGS.
	m := regexp.MustCompile(`(?m)^#ARGS=(.*)$`).FindStringSubmatch(string(readFile(t, "deploy/systemd/synthesisvr_exporter.env")))
	if m == nil {
		t.Fatal("the env file has no #ARGS= example")
	}
	checkFlags(t, "synthesisvr_exporter.env: ARGS", bin, strings.Fields(m[1]))
}

// TestSystemdAnalyze runs systemd-analyze verify on the unit, and systemd-analyze
// security, whose exposure score must stay low. Its ExecStart is pointed at the built
// exporter, since verify requires the command to exist.
func TestSystemdAnalyze(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		// Not a required real part: systemd is absent from many build containers.
		t.Skipf("systemd-analyze is not installed (Debian package systemd): %v", err)
	}
	bin, _ := command(t, "synthesisvr_exporter")
	unit := strings.Replace(string(readFile(t, unitPath)), "/usr/local/bin/synthesisvr_exporter", bin, 1)
	path := filepath.Join(t.TempDir(), filepath.Base(unitPath))
	writeFile(t, path, []byte(unit))
	// verify exits 0 on an unknown key or section, but says so.
	if out, err := runTool(t, ".", sa, "verify", "--man=no", path); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := runTool(t, ".", sa, "security", "--offline=yes", "--no-pager", path)
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security gave no exposure level:\n%s", out)
	}
	// 0 is a sealed box, 10 no sandbox; the unit scores 1.2 with systemd 252 (the
	// rest is its network access, which it needs).
	if level, _ := strconv.ParseFloat(m[1], 64); level > 2.0 {
		t.Errorf("systemd-analyze security: exposure %s, want at most 2.0:\n%s", m[1], out)
	}
}

// TestSystemdConfigStartsWithCredential starts the exporter on the shipped config.yml
// the way the unit does: the token in $CREDENTIALS_DIRECTORY (LoadCredential=), none
// beside the config file, and none in the environment.
func TestSystemdConfigStartsWithCredential(t *testing.T) {
	bin, ok := command(t, "synthesisvr_exporter")
	if !ok {
		t.Fatal("no cmd/synthesisvr_exporter")
	}
	etc, creds := t.TempDir(), t.TempDir()
	config := filepath.Join(etc, "config.yml")
	writeFile(t, config, readFile(t, "deploy/systemd/config.yml"))
	token := "credentialToken0123456789"
	writeFile(t, filepath.Join(creds, "webhook-token"), []byte(token+"\n"))
	addr := proctest.FreeAddrTB(t)
	cmd := exec.Command(bin, "--config.file="+config, "--web.listen-address="+addr,
		"--storage.path="+filepath.Join(t.TempDir(), "synthesisvr.db"))
	cmd.Env = []string{"CREDENTIALS_DIRECTORY=" + creds, "OTEL_SDK_DISABLED=true", "PATH=" + os.Getenv("PATH")}
	log := &proctest.Buffer{}
	p := proctest.StartTB(t, cmd, log)
	if err := p.WaitHTTP("http://"+addr+"/-/ready", 10*time.Second, 20*time.Millisecond); err != nil {
		t.Fatalf("the shipped config.yml does not start: %v\n%s", err, log.String())
	}
	resp, err := http.Post("http://"+addr+"/webhook/"+token, "application/json",
		strings.NewReader(`[{"uuid":"c-1","action":"create","location":"Cred","stations":1}]`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("POST with the credential's token: status %d, want 200", resp.StatusCode)
	}
	if !strings.Contains(log.String(), filepath.Join(creds, "webhook-token")) || strings.Contains(log.String(), token) {
		t.Errorf("the log should name the credential's file, never the token:\n%s", log.String())
	}
}
