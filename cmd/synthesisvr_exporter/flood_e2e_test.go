package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// floodWrongTokens sends n POSTs with a wrong token and a 60 KB User-Agent, from
// a few kept-alive connections, and requires a 404 for each.
func floodWrongTokens(t *testing.T, url string, n int) {
	t.Helper()
	const workers = 8
	ua := strings.Repeat("u", 60<<10)
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			for i := w; i < n; i += workers {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`[{"uuid":"x","action":"create"}]`))
				req.Header.Set("User-Agent", ua)
				resp, err := c.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					return &statusError{resp.StatusCode}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("wrong-token flood: %v", err)
	}
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + http.StatusText(e.code) + ", want 404" }

// memoryCost is what a flood cost an exporter: the bytes it allocated meanwhile,
// and its heap and resident memory after.
type memoryCost struct{ allocated, heap, rss float64 }

func floodCost(t *testing.T, p *exporterProc, url string, n int) memoryCost {
	t.Helper()
	before, _ := scrape(t, p.base).value("go_memstats_alloc_bytes_total")
	floodWrongTokens(t, url, n)
	m := scrape(t, p.base)
	after, _ := m.value("go_memstats_alloc_bytes_total")
	heap, _ := m.value("go_memstats_heap_inuse_bytes")
	rss, _ := m.value("process_resident_memory_bytes")
	return memoryCost{allocated: after - before, heap: heap, rss: rss}
}

func TestWrongTokensCostNothingWithTracing(t *testing.T) {
	requireBinary(t)
	const n = 10000
	rcv := startOTLPReceiver(t)
	costs := map[bool]memoryCost{}
	for _, traced := range []bool{false, true} {
		var env []string
		if traced {
			env = rcv.env()
		}
		p := startExporter(t, options{env: env})
		tok := readToken(t, p.storage)
		costs[traced] = floodCost(t, p, p.webhookURL(tok+"x"), n)
		if traced {
			// A request with the token is traced, and shows the spans flow.
			postEvents(t, p.webhookURL(tok), `[`+createEvent("flood-ok", "Kamen Test", 1)+`]`)
			rcv.waitSpan("the create span of the request with the token", named("synthesisvr.session.create", "flood-ok"))
		}
		p.signal(syscall.SIGTERM)
		p.waitExit(readyTimeout)
	}
	for _, s := range rcv.all() {
		if s.GetKind() == 2 /* SERVER */ && attrValue(s.GetAttributes(), "http.response.status_code") != "200" {
			t.Errorf("a server span of a request that was not admitted: %s %v", s.GetName(), attrValue(s.GetAttributes(), "http.response.status_code"))
		}
		if strings.Contains(attrValue(s.GetAttributes(), "user_agent.original"), "uuuu") && len(attrValue(s.GetAttributes(), "user_agent.original")) > 256 {
			t.Error("a span holds a User-Agent longer than 256 bytes")
		}
	}
	off, on := costs[false], costs[true]
	t.Logf("%d wrong-token requests: allocated %.0f MB without tracing, %.0f MB with; heap %.0f / %.0f MB; RSS %.0f / %.0f MB",
		n, off.allocated/1e6, on.allocated/1e6, off.heap/1e6, on.heap/1e6, off.rss/1e6, on.rss/1e6)
	// Both runs serve the same 404s, so they allocate alike (within a few MB
	// here); a span per stranger, even with its User-Agent capped, added about
	// 14 KB a request. The bounds leave room for noise, not for that.
	if on.allocated > 1.01*off.allocated+2048*n {
		t.Errorf("with tracing the flood allocated %.0f MB, without %.0f MB", on.allocated/1e6, off.allocated/1e6)
	}
	if on.rss > 1.5*off.rss+32e6 {
		t.Errorf("with tracing the flood left %.0f MB resident, without %.0f MB", on.rss/1e6, off.rss/1e6)
	}
}

// tlsWebhookExporter starts an exporter whose webhook listener serves TLS with
// the given http_server_config lines (indented, or empty).
func tlsWebhookExporter(t *testing.T, httpServerConfig string, args ...string) (*exporterProc, *http.Client, string) {
	t.Helper()
	requireBinary(t)
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	web := filepath.Join(dir, "web.yml")
	writeFile(t, web, "tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+"\n  min_version: TLS13\n"+httpServerConfig)
	log := &logBuffer{}
	p := launch(t, options{storage: filepath.Join(dir, "data", "synthesisvr.db"), hookPort: true, args: append([]string{"--web.config.file=" + web}, args...)}, log)
	c := tlsClient(pool)
	main := "https://" + hostAddr(p.base)
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := c.Get(main + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) || p.Exited() {
			_ = p.Wait(time.Second) // the rest of its output
			t.Fatalf("the TLS exporter did not become ready (%v)\nlog:\n%s", p.Err(), log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p, c, main
}

func TestHandshakeFloodLogsLittleAndStructured(t *testing.T) {
	p, _, _ := tlsWebhookExporter(t, "", "--log.format=json", "--log.level=debug")
	hook := hostAddr(p.hookBase)
	const conns = 3000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", hook, 5*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			_, _ = io.Copy(io.Discard, c)
		}()
	}
	wg.Wait()
	p.waitLog("TLS handshake error", 1)
	lines, errLines := 0, 0
	sc := bufio.NewScanner(strings.NewReader(p.log.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines++
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("a log line is not JSON: %q", sc.Text())
			continue
		}
		if strings.Contains(sc.Text(), "TLS handshake error") {
			errLines++
			if rec["level"] != "DEBUG" || rec["listener"] != "webhook" {
				t.Errorf("handshake error line %q: want level DEBUG and listener webhook", sc.Text())
			}
		}
	}
	t.Logf("%d plain-HTTP connections to the TLS webhook port: %d handshake error lines, %d lines in all", conns, errLines, lines)
	// At most one a second: the flood takes seconds, not minutes.
	if errLines > 60 {
		t.Errorf("%d handshake error lines for %d connections, want at most one a second", errLines, conns)
	}
}

func TestWebhookListenerTakesHTTPServerConfig(t *testing.T) {
	p, c, _ := tlsWebhookExporter(t, "http_server_config:\n  http2: false\n  headers:\n    Strict-Transport-Security: max-age=31536000\n")
	tok := readToken(t, p.storage)
	hook := "https://" + hostAddr(p.hookBase)
	for _, url := range []string{hook + "/webhook/" + tok, hook + "/webhook/wrong-token-0123456789"} {
		resp, err := c.Post(url, "application/json", strings.NewReader("[]"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("webhook answer %d has Strict-Transport-Security %q, want the web config's", resp.StatusCode, got)
		}
	}
	// http2: false: the listener offers HTTP/1.1 alone.
	conn, err := tls.Dial("tcp", hostAddr(p.hookBase), &tls.Config{RootCAs: c.Transport.(*http.Transport).TLSClientConfig.RootCAs, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if proto := conn.ConnectionState().NegotiatedProtocol; proto == "h2" {
		t.Errorf("the webhook listener negotiated %q with http2: false", proto)
	}
}

func TestConnectionsPerListenerAreCapped(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	writeFile(t, cfg, "limits:\n  max_connections: 5\n")
	p := startExporter(t, options{config: cfg, hookPort: true})
	hook := hostAddr(p.hookBase)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range 12 {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", hook)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	// The gauge reaches the cap and stays there, however many clients connect.
	deadline := time.Now().Add(readyTimeout)
	for {
		m := scrape(t, p.base)
		open, _ := m.value("synthesisvr_exporter_http_connections", "listener", "webhook")
		if open > 5 {
			t.Fatalf("%v open webhook connections, want at most 5", open)
		}
		if open == 5 {
			m.want(t, 5, "synthesisvr_exporter_http_connections_limit", "listener", "webhook")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open webhook connections %v, want 5 while 12 clients hold theirs", open)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The main listener has its own cap: scrapes kept working above. Once the
	// idle clients leave, the webhook takes requests again.
	for _, c := range idle {
		c.Close()
	}
	idle = nil
	tok := readToken(t, p.storage)
	postEvents(t, p.webhookURL(tok), "[]")
}
