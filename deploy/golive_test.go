package deploy_test

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// The tests of deploy/README.md's "Going live": each way puts the webhook on a public
// HTTPS address of its own, through the real exporter binary and the real proxy on
// loopback ports, with the shipped files changed only in addresses and paths.

// goLiveToken is the webhook token of these tests; every log is searched for it.
const goLiveToken = "goLiveToken0123456789abcdef"

// liveEvent is one create, as SynthesisVR sends it.
const liveEvent = `[{"uuid":"live-1","action":"create","location":"Live","stations":2}]`

// liveCert is a self-signed certificate for localhost and 127.0.0.1, written as PEM
// files, and a client that trusts it alone.
type liveCert struct {
	certFile, keyFile string
	client            *http.Client
}

func newLiveCert(t *testing.T, dir string) liveCert {
	t.Helper()
	c := liveCert{certFile: filepath.Join(dir, "synthesisvr.crt"), keyFile: filepath.Join(dir, "synthesisvr.key")}
	pool := proctest.SelfSignedTB(t, c.certFile, c.keyFile)
	c.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		// The name the proxies serve; the address dialled is 127.0.0.1.
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"},
	}}
	return c
}

// liveExporter is an exporter started for going live: the webhook on a listener of
// its own, the token from the environment.
type liveExporter struct {
	main, webhook string // addresses
	log           *proctest.Buffer
}

func startLiveExporter(t *testing.T, extra ...string) liveExporter {
	t.Helper()
	bin, ok := command(t, "synthesisvr_exporter")
	if !ok {
		t.Fatal("no cmd/synthesisvr_exporter")
	}
	e := liveExporter{main: proctest.FreeAddrTB(t), webhook: proctest.FreeAddrTB(t), log: &proctest.Buffer{}}
	args := append([]string{
		"--web.listen-address=" + e.main, "--webhook.listen-address=" + e.webhook,
		"--storage.path=" + filepath.Join(t.TempDir(), "synthesisvr.db"),
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SYNTHESISVR_WEBHOOK_TOKEN="+goLiveToken, "OTEL_SDK_DISABLED=true")
	p := proctest.StartTB(t, cmd, e.log)
	if err := p.WaitTCP(e.webhook, 10*time.Second, 20*time.Millisecond); err != nil {
		t.Fatalf("exporter: %v\n%s", err, e.log.String())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("exporter log:\n%s", e.log.String())
		}
	})
	return e
}

// checkPublicSide posts an event to the public base URL (https://...) and checks
// that /metrics and the other endpoints are not reachable there.
func checkPublicSide(t *testing.T, c *http.Client, base string) {
	t.Helper()
	resp, err := c.Post(base+"/webhook/"+goLiveToken, "application/json", strings.NewReader(liveEvent))
	if err != nil {
		t.Fatalf("POST over HTTPS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"applied":1`) {
		t.Errorf("POST over HTTPS: status %d, body %s; want 200 with the event applied", resp.StatusCode, body)
	}
	for _, path := range []string{"/metrics", "/", "/-/ready", "/-/reload", "/api/v1/backup", "/webhook/../metrics"} {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(b), "synthesisvr_") {
			t.Errorf("GET %s on the public side: status %d, want it unreachable", path, resp.StatusCode)
		}
	}
}

// wantNoToken fails when a log holds the token, and, with mustLog, when it does not
// show the webhook's requests at all.
func wantNoToken(t *testing.T, what, log string, mustLog bool) {
	t.Helper()
	if strings.Contains(log, goLiveToken) {
		t.Errorf("%s holds the webhook token:\n%s", what, log)
	}
	if mustLog && !strings.Contains(log, "/webhook/") {
		t.Errorf("%s does not show the webhook's requests (with the token cut out):\n%s", what, log)
	}
}

// readLog reads a log file, waiting a little for it to be written.
func readLog(t *testing.T, path string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(b), "/webhook/") || time.Now().After(deadline) {
			return string(b)
		}
	}
}

// TestGoLiveExporterTLS: way A, the exporter's own TLS from the shipped web config.
func TestGoLiveExporterTLS(t *testing.T) {
	dir := t.TempDir()
	c := newLiveCert(t, dir) // synthesisvr.crt and .key, as the web config names them
	webConfig := filepath.Join(dir, "web-config.yml")
	writeFile(t, webConfig, readFile(t, "deploy/tls/web-config.yml"))
	e := startLiveExporter(t, "--web.config.file="+webConfig)

	checkPublicSide(t, c.client, "https://"+e.webhook)
	// Prometheus scrapes the other listener, over the same TLS.
	resp, err := c.client.Get("https://" + e.main + "/metrics")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics on --web.listen-address: %v %v", err, resp)
	}
	resp.Body.Close()
	// TLS 1.2 is refused: min_version TLS13.
	old := c.client.Transport.(*http.Transport).Clone()
	old.TLSClientConfig.MaxVersion = tls.VersionTLS12
	if _, err := (&http.Client{Transport: old, Timeout: 5 * time.Second}).Get("https://" + e.webhook + "/"); err == nil {
		t.Error("the webhook listener speaks TLS 1.2; the web config says min_version: TLS13")
	}
	if !strings.Contains(e.log.String(), "https://"+e.webhook+"/webhook/<token>") {
		t.Errorf("the start log does not give the https:// URL to paste")
	}
	wantNoToken(t, "the exporter's log", e.log.String(), false)
}

// TestGoLiveCaddy: way B, Caddy in front, from the shipped Caddyfile with only its
// environment variables set.
func TestGoLiveCaddy(t *testing.T) {
	caddy := lookTool(t, "caddy", "caddy")
	dir := t.TempDir()
	c := newLiveCert(t, dir)
	e := startLiveExporter(t)
	https, http := proctest.FreeAddrTB(t), proctest.FreeAddrTB(t)
	accessLog := filepath.Join(dir, "access.log")
	cmd := exec.Command(caddy, "run", "--adapter", "caddyfile", "--config", filepath.Join(root, "deploy/caddy/Caddyfile"))
	cmd.Env = append(os.Environ(),
		"HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir,
		"SYNTHESISVR_PUBLIC_NAME=localhost",
		"SYNTHESISVR_HTTPS_PORT="+port(https), "SYNTHESISVR_HTTP_PORT="+port(http),
		"SYNTHESISVR_CADDY_ADMIN=off", "SYNTHESISVR_CADDY_OPTIONS=default_bind 127.0.0.1",
		"SYNTHESISVR_CADDY_TLS=tls "+c.certFile+" "+c.keyFile,
		"SYNTHESISVR_WEBHOOK_ADDRESS="+e.webhook,
		"SYNTHESISVR_CADDY_LOG="+accessLog,
	)
	log := &proctest.Buffer{}
	p := proctest.StartTB(t, cmd, log)
	if err := p.WaitTCP(https, 10*time.Second, 50*time.Millisecond); err != nil {
		t.Fatalf("caddy: %v\n%s", err, log.String())
	}
	// The site is localhost, as SynthesisVR calls the public name.
	checkPublicSide(t, c.client, "https://localhost:"+port(https))
	wantNoToken(t, "Caddy's access log", readLog(t, accessLog), true)
	wantNoToken(t, "Caddy's own log", log.String(), false)
	if t.Failed() {
		t.Logf("caddy log:\n%s", log.String())
	}
}

// nginxSubstitutions are what the nginx test changes in the shipped file: each must
// be there, so that the file tested is the file shipped.
func nginxSubstitutions(dir, https, upstream string, c liveCert) [][2]string {
	return [][2]string{
		{"listen 443 ssl;", "listen " + https + " ssl;"},
		{"server_name synthesisvr.example.com;", "server_name localhost;"},
		{"/etc/letsencrypt/live/synthesisvr.example.com/fullchain.pem", c.certFile},
		{"/etc/letsencrypt/live/synthesisvr.example.com/privkey.pem", c.keyFile},
		{"/var/log/nginx/synthesisvr_exporter.access.log", filepath.Join(dir, "access.log")},
		{"/var/log/nginx/synthesisvr_exporter.error.log", filepath.Join(dir, "error.log")},
		{"proxy_pass http://127.0.0.1:9866;", "proxy_pass http://" + upstream + ";"},
	}
}

// TestGoLiveNginx: way C, nginx in front, from the shipped server block.
func TestGoLiveNginx(t *testing.T) {
	nginx := lookTool(t, "nginx", "nginx")
	dir := t.TempDir()
	c := newLiveCert(t, dir)
	e := startLiveExporter(t)
	https := proctest.FreeAddrTB(t)
	conf := string(readFile(t, "deploy/nginx/synthesisvr_exporter.conf"))
	for _, s := range nginxSubstitutions(dir, https, e.webhook, c) {
		if strings.Count(conf, s[0]) != 1 {
			t.Fatalf("deploy/nginx/synthesisvr_exporter.conf has %q %d times, want once", s[0], strings.Count(conf, s[0]))
		}
		conf = strings.Replace(conf, s[0], s[1], 1)
	}
	site := filepath.Join(dir, "synthesisvr_exporter.conf")
	writeFile(t, site, []byte(conf))
	// The main file of a Debian nginx, cut to what a test needs.
	main := filepath.Join(dir, "nginx.conf")
	writeFile(t, main, []byte(strings.Join([]string{
		"daemon off;", "master_process off;", "pid " + filepath.Join(dir, "nginx.pid") + ";",
		"error_log " + filepath.Join(dir, "main-error.log") + ";",
		"events {}",
		"http {",
		"  client_body_temp_path " + dir + "/body;", "  proxy_temp_path " + dir + "/proxy;",
		"  fastcgi_temp_path " + dir + "/fastcgi;", "  uwsgi_temp_path " + dir + "/uwsgi;", "  scgi_temp_path " + dir + "/scgi;",
		"  access_log off;",
		"  include " + site + ";",
		"}", "",
	}, "\n")))
	args := []string{"-p", dir, "-e", filepath.Join(dir, "main-error.log"), "-c", main}
	if out, err := runTool(t, dir, nginx, append([]string{"-t", "-q"}, args...)...); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	log := &proctest.Buffer{}
	p := proctest.StartTB(t, exec.Command(nginx, args...), log)
	if err := p.WaitTCP(https, 10*time.Second, 50*time.Millisecond); err != nil {
		t.Fatalf("nginx: %v\n%s", err, log.String())
	}
	checkPublicSide(t, c.client, "https://"+https)
	wantNoToken(t, "nginx's access log", readLog(t, filepath.Join(dir, "access.log")), true)
	for _, f := range []string{"error.log", "main-error.log"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		wantNoToken(t, "nginx's "+f, string(b), false)
	}
}

// port returns the port of a host:port address.
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// TestDeployReadme checks deploy/README.md against what it describes: the section the
// exporter's start log points at, the shipped files it names, and every exporter flag
// it gives (the exporter parses them).
func TestDeployReadme(t *testing.T) {
	doc := string(readFile(t, "deploy/README.md")) + string(readFile(t, "deploy/windows/README.md"))
	if !strings.Contains(doc, "\n## Going live\n") {
		t.Error(`deploy/README.md has no section "Going live", which the start log names`)
	}
	for _, f := range []string{"deploy/tls/web-config.yml", "deploy/caddy/Caddyfile", "deploy/nginx/synthesisvr_exporter.conf",
		"deploy/systemd/config.yml", "deploy/systemd/synthesisvr_exporter.service", "deploy/docker/build.sh"} {
		if !strings.Contains(doc, f) {
			t.Errorf("deploy/README.md does not name %s", f)
		}
		readFile(t, f) // exists
	}
	bin, _ := command(t, "synthesisvr_exporter")
	help, err := runTool(t, ".", bin, "--help")
	if err != nil {
		t.Fatalf("--help: %v", err)
	}
	names := regexp.MustCompile(`--(?:web|webhook|storage|config|session)\.[a-z-]+(?:\.[a-z-]+)*`).FindAllString(doc, -1)
	if len(names) < 5 {
		t.Fatalf("found only %d flags in the docs: %q", len(names), names)
	}
	for _, name := range names {
		// Boolean flags show as --[no-]name.
		flag := regexp.QuoteMeta(name[2:])
		if !regexp.MustCompile(`(?m)^\s+(?:-\w, )?--(?:\[no-\])?` + flag + `\b`).MatchString(help) {
			t.Errorf("deploy/README.md names %s, which the exporter does not have", name)
		}
	}
}
