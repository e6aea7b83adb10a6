package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore/redistest"
)

// adminFlag turns the admin API on.
const adminFlag = "--web.enable-admin-api"

// httpDelete sends a DELETE, as `curl -X DELETE` does.
func httpDelete(t *testing.T, url string) reply {
	t.Helper()
	return do(t, http.MethodDelete, url, "", "")
}

// wantNoLocation fails if any series of p's /metrics carries the location.
func wantNoLocation(t *testing.T, p *exporterProc, loc string) {
	t.Helper()
	body := get(t, p.base+"/metrics").body
	label := `location="` + loc + `"`
	for _, line := range strings.Split(body, "\n") {
		if strings.Contains(line, label) {
			t.Fatalf("a series of the forgotten location is still exported: %s", line)
		}
	}
}

// TestAdminAPI ends a stuck session and removes a renamed location with one
// DELETE each, as the README says, on the default bolt store.
func TestAdminAPI(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	writeFile(t, cfg, "locations:\n  - name: Downtown\n")
	p := startExporter(t, options{config: cfg, hookPort: true, args: []string{adminFlag}})
	hook := p.webhookURL(readToken(t, p.storage))
	postEvents(t, hook, "["+createEvent("stuck-1", "Downtown", 2)+","+createEvent("old-1", "Old name", 1)+","+
		createEvent("old-2", "Old name", 3)+","+createEvent("kept-1", "Kept", 1)+"]")

	r := get(t, p.base+"/api/v1/sessions")
	var list struct {
		Sessions []struct {
			UUID, Location string
			Stations       int
		}
	}
	if err := json.Unmarshal([]byte(r.body), &list); r.code != http.StatusOK || err != nil {
		t.Fatalf("GET /api/v1/sessions: %d %s (%v)", r.code, r.body, err)
	}
	var order []string
	for _, s := range list.Sessions {
		order = append(order, s.Location+"/"+s.UUID)
	}
	if got := strings.Join(order, " "); got != "Downtown/stuck-1 Kept/kept-1 Old name/old-1 Old name/old-2" {
		t.Fatalf("listed sessions %s", got)
	}

	// A stuck session: one DELETE ends it, counted under reason="admin".
	if r := httpDelete(t, p.base+"/api/v1/sessions/stuck-1"); r.code != http.StatusOK || !strings.Contains(r.body, `"reason":"admin"`) {
		t.Fatalf("DELETE the stuck session: %d %s", r.code, r.body)
	}
	if r := httpDelete(t, p.base+"/api/v1/sessions/stuck-1"); r.code != http.StatusNotFound {
		t.Fatalf("DELETE it again: %d %s, want 404", r.code, r.body)
	}
	e := scrape(t, p.base)
	e.want(t, 0, mActive, "location", "Downtown")
	e.want(t, 1, "synthesisvr_sessions_ended_total", "location", "Downtown", "reason", "admin")
	e.want(t, 0, "synthesisvr_sessions_ended_total", "location", "Downtown", "reason", "deleted")
	e.want(t, 1, "synthesisvr_admin_requests_total", "code", "200", "operation", "end_session")
	e.want(t, 1, "synthesisvr_admin_requests_total", "code", "404", "operation", "end_session")

	// A renamed location: refused while it has sessions, removed with force.
	if r := httpDelete(t, p.base+"/api/v1/locations/Downtown"); r.code != http.StatusConflict || !strings.Contains(r.body, "configuration") {
		t.Fatalf("DELETE a configured location: %d %s, want 409", r.code, r.body)
	}
	if r := httpDelete(t, p.base+"/api/v1/locations/Old%20name"); r.code != http.StatusConflict || !strings.Contains(r.body, "force=true") {
		t.Fatalf("DELETE a location with sessions: %d %s, want 409", r.code, r.body)
	}
	scrape(t, p.base).want(t, 2, mActive, "location", "Old name")
	if r := httpDelete(t, p.base+"/api/v1/locations/Old%20name?force=true"); r.code != http.StatusOK || strings.Count(r.body, `"reason":"admin"`) != 2 {
		t.Fatalf("DELETE it with force: %d %s", r.code, r.body)
	}
	wantNoLocation(t, p, "Old name")
	wantNoLocation(t, p, "Old name") // and not back at 0 on the next scrape
	scrape(t, p.base).want(t, 1, mActive, "location", "Kept")

	// The admin API is never on the webhook's listener.
	if r := get(t, p.hookBase+"/api/v1/sessions"); r.code != http.StatusNotFound {
		t.Fatalf("GET /api/v1/sessions on the webhook listener: %d, want 404", r.code)
	}
	log := p.log.String()
	for _, want := range []string{"Admin API: session ended", "Admin API: location forgotten", "The admin API is on without basic auth"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}

	// A restart keeps it all: the location stays forgotten.
	p.signal(syscall.SIGTERM)
	if code := p.waitExit(readyTimeout); code != 0 {
		t.Fatalf("exit code %d on SIGTERM", code)
	}
	p = startExporter(t, options{storage: p.storage, config: cfg, args: []string{adminFlag}})
	wantNoLocation(t, p, "Old name")
	scrape(t, p.base).want(t, 0, mActive, "location", "Downtown")
}

// TestAdminAPIDisabled checks that without the flag the admin API answers 403,
// naming the flag, and changes nothing.
func TestAdminAPIDisabled(t *testing.T) {
	p := startExporter(t, options{})
	hook := p.webhookURL(readToken(t, p.storage))
	postEvents(t, hook, createEvent("s-1", "Mall", 1))
	for _, r := range []reply{get(t, p.base+"/api/v1/sessions"), httpDelete(t, p.base+"/api/v1/sessions/s-1"), httpDelete(t, p.base+"/api/v1/locations/Mall?force=true")} {
		if r.code != http.StatusForbidden || !strings.Contains(r.body, adminFlag) {
			t.Fatalf("admin API without the flag: %d %s, want 403 naming %s", r.code, r.body, adminFlag)
		}
	}
	e := scrape(t, p.base)
	e.want(t, 1, mActive, "location", "Mall")
	if _, ok := e.value("synthesisvr_admin_requests_total", "code", "403", "operation", "end_session"); ok {
		t.Fatal("the admin counter is exported while the admin API is off")
	}
}

// TestAdminAPIBasicAuth checks that --web.config.file's basic auth guards the
// admin API.
func TestAdminAPIBasicAuth(t *testing.T) {
	requireBinary(t)
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	web := webConfig(t, dir, certFile, keyFile, metricsUser, metricsPass)
	p := launch(t, options{storage: filepath.Join(dir, "data", "synthesisvr.db"), hookPort: true,
		args: []string{"--web.config.file=" + web, adminFlag}}, &logBuffer{})
	c := tlsClient(pool)
	main := "https://" + hostAddr(p.base)
	waitReadyTLS(t, p, c, main, metricsUser, metricsPass)
	s := &seen{}
	if r := s.call(t, c, http.MethodGet, main+"/api/v1/sessions", "", "", ""); r.code != http.StatusUnauthorized {
		t.Fatalf("admin API without credentials: %d, want 401", r.code)
	}
	if r := s.call(t, c, http.MethodDelete, main+"/api/v1/sessions/x", "", metricsUser, "wrong"); r.code != http.StatusUnauthorized {
		t.Fatalf("admin API with a wrong password: %d, want 401", r.code)
	}
	if r := s.call(t, c, http.MethodGet, main+"/api/v1/sessions", "", metricsUser, metricsPass); r.code != http.StatusOK || !strings.Contains(r.body, `"sessions":[]`) {
		t.Fatalf("admin API with credentials: %d %s", r.code, r.body)
	}
	if strings.Contains(p.log.String(), metricsPass) {
		t.Fatal("the log shows the basic auth password")
	}
	if !strings.Contains(p.log.String(), "The admin API is on, behind basic auth") {
		t.Fatal("the log does not say the admin API is behind basic auth")
	}
}

// TestAdminAPIRedisReplicas ends one session through both replicas at once and
// forgets a location through one: each session is counted once across them,
// and the location leaves both replicas' /metrics.
func TestAdminAPIRedisReplicas(t *testing.T) {
	requireBinary(t)
	srv := redistest.Start(t, redistest.Options{AppendOnly: true})
	start := func() *exporterProc {
		return startExporter(t, options{
			args: []string{"--storage.backend=redis", "--storage.redis.url=" + srv.URL(0), "--storage.redis.prefix=admin:", adminFlag},
			env:  []string{envToken + "=" + redisToken},
		})
	}
	a, b := start(), start()
	postEvents(t, a.webhookURL(redisToken), "["+createEvent("stuck-r", "Mall", 2)+","+createEvent("test-1", "Load 001", 1)+"]")
	postEvents(t, b.webhookURL(redisToken), createEvent("test-2", "Load 001", 1))
	for _, p := range []*exporterProc{a, b} {
		scrape(t, p.base).want(t, 2, mActive, "location", "Load 001")
	}

	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, p := range []*exporterProc{a, b} {
		wg.Go(func() { codes[i] = httpDelete(t, p.base+"/api/v1/sessions/stuck-r").code })
	}
	wg.Wait()
	if codes[0]+codes[1] != http.StatusOK+http.StatusNotFound {
		t.Fatalf("the same DELETE through both replicas answered %v, want one 200 and one 404", codes)
	}
	ended := 0.0
	for _, p := range []*exporterProc{a, b} {
		e := scrape(t, p.base)
		e.want(t, 0, mActive, "location", "Mall")
		v, _ := e.value("synthesisvr_sessions_ended_total", "location", "Mall", "reason", "admin")
		ended += v
	}
	if ended != 1 {
		t.Fatalf("sessions_ended_total{reason=\"admin\"} summed over the replicas is %v, want 1", ended)
	}

	if r := httpDelete(t, b.base+"/api/v1/locations/Load%20001?force=true"); r.code != http.StatusOK {
		t.Fatalf("DELETE the location through one replica: %d %s", r.code, r.body)
	}
	wantNoLocation(t, b, "Load 001")
	// The other replica learns it at its next scrape: its gauges go at once, and
	// its own counters, gathered beside that scrape, from the one after.
	if v, ok := scrape(t, a.base).value(mActive, "location", "Load 001"); ok {
		t.Fatalf("the other replica still exports the forgotten location's gauge (%v)", v)
	}
	wantNoLocation(t, a, "Load 001")
	wantNoLocation(t, b, "Load 001")
	// An event brings it back on both.
	postEvents(t, a.webhookURL(redisToken), createEvent("test-3", "Load 001", 1))
	for _, p := range []*exporterProc{a, b} {
		scrape(t, p.base).want(t, 1, mActive, "location", "Load 001")
	}
}
