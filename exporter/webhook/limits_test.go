package webhook_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

// blockingStore parks every Apply until release is closed, whatever its context
// says: a hung store, which holds its requests' places in flight.
type blockingStore struct {
	parked  chan struct{} // one send per Apply that started waiting
	release chan struct{}
}

func (s *blockingStore) Apply(_ context.Context, b session.Batch) ([]session.Outcome, error) {
	s.parked <- struct{}{}
	<-s.release
	return make([]session.Outcome, len(b.Changes)), nil
}

// limitedServer serves a handler over a real HTTP server, with settings changed by set.
func limitedServer(t *testing.T, store webhook.Applier, set func(*webhook.Settings)) (*httptest.Server, *recorder) {
	t.Helper()
	s := webhook.Settings{Hooks: []webhook.Hook{{Name: "main", Token: token}}, MaxBodyBytes: 1 << 20, MaxEvents: 1000}
	if set != nil {
		set(&s)
	}
	rec := &recorder{}
	h := webhook.New(store, rec, func() bool { return true }, webhook.NewSettings(s), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.NoRoute(webhook.NotFound)
	h.Register(r)
	srv := httptest.NewUnstartedServer(r)
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, rec
}

func TestInFlightLimit(t *testing.T) {
	const limit = 2
	st := &blockingStore{parked: make(chan struct{}, limit+1), release: make(chan struct{})}
	srv, rec := limitedServer(t, st, func(s *webhook.Settings) { s.MaxInFlight = limit })
	url := srv.URL + "/webhook/" + token

	var wg sync.WaitGroup
	codes := make([]int, limit)
	for i := range limit {
		wg.Go(func() { codes[i] = postCode(t, url, sample) })
	}
	for range limit {
		<-st.parked // both requests are in the store
	}
	t.Run("a request past the limit waits, then gets 503 within the budget", func(t *testing.T) {
		start := time.Now()
		code, body := postRead(t, url, sample)
		if took := time.Since(start); code != http.StatusServiceUnavailable || took >= webhook.Budget+raceSlack {
			t.Errorf("request past the limit: %d after %s, want 503 within %s", code, took, webhook.Budget)
		}
		if !strings.Contains(body, "limits.max_requests_in_flight (2)") || !strings.Contains(body, "not applied") {
			t.Errorf("503 body %q does not name the limit and say nothing was applied", body)
		}
		if len(st.parked) != 0 {
			t.Error("the request past the limit reached the store")
		}
	})
	t.Run("a waiting request goes through when a place frees", func(t *testing.T) {
		var code int
		wg.Go(func() { code = postCode(t, url, sample) })
		time.Sleep(100 * time.Millisecond) // it waits for a place
		close(st.release)
		wg.Wait()
		if code != http.StatusOK {
			t.Errorf("waiting request: status %d, want 200", code)
		}
		for i, c := range codes {
			if c != http.StatusOK {
				t.Errorf("parked request %d: status %d, want 200", i, c)
			}
		}
	})
	if n := countCode(rec, http.StatusServiceUnavailable); n != 1 {
		t.Errorf("counted %d answers 503, want 1", n)
	}
}

func TestInFlightLimitFollowsReload(t *testing.T) {
	st := &blockingStore{parked: make(chan struct{}, 4), release: make(chan struct{})}
	close(st.release)
	rec := &recorder{}
	settings := func(limit int) *webhook.Settings {
		return webhook.NewSettings(webhook.Settings{Hooks: []webhook.Hook{{Name: "main", Token: token}}, MaxBodyBytes: 1024, MaxEvents: 10, MaxInFlight: limit})
	}
	h := webhook.New(st, rec, func() bool { return true }, settings(1), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.SetSettings(settings(0)) // no bound
	h.SetSettings(settings(3))
	r := gin.New()
	h.Register(r)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhook/"+token, strings.NewReader(sample)))
	if w.Code != http.StatusOK {
		t.Fatalf("after reloads: status %d %s, want 200", w.Code, w.Body)
	}
}

// TestRaisedLimitKeepsPlacesInFlight raises the limit while a request holds the
// only place: a new request gets in at once under the new limit, and the old one
// gives its place back to the bound it took it from.
func TestRaisedLimitKeepsPlacesInFlight(t *testing.T) {
	st := &blockingStore{parked: make(chan struct{}, 3), release: make(chan struct{})}
	settings := func(limit int) *webhook.Settings {
		return webhook.NewSettings(webhook.Settings{Hooks: []webhook.Hook{{Name: "main", Token: token}}, MaxBodyBytes: 1024, MaxEvents: 10, MaxInFlight: limit})
	}
	h := webhook.New(st, &recorder{}, func() bool { return true }, settings(1), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r := gin.New()
	h.Register(r)
	srv := httptest.NewServer(r)
	defer srv.Close()
	url := srv.URL + "/webhook/" + token

	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Go(func() { codes[0] = postCode(t, url, sample) })
	<-st.parked // the first request holds the only place
	h.SetSettings(settings(2))
	wg.Go(func() { codes[1] = postCode(t, url, sample) })
	select {
	case <-st.parked: // it got a place of the new limit
	case <-time.After(webhook.Budget):
		t.Error("a request after the limit was raised did not reach the store")
	}
	close(st.release)
	wg.Wait()
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK {
		t.Errorf("statuses %v, want both 200", codes)
	}
	// Both places were given back: two more requests get in at once.
	for range 2 {
		if c := postCode(t, url, sample); c != http.StatusOK {
			t.Errorf("after the reload: status %d, want 200", c)
		}
	}
}

func TestUnknownTokenIsNotCountedInFlight(t *testing.T) {
	st := &blockingStore{parked: make(chan struct{}, 1), release: make(chan struct{})}
	srv, _ := limitedServer(t, st, func(s *webhook.Settings) { s.MaxInFlight = 1 })
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(st.release)
	wg.Go(func() { postCode(t, srv.URL+"/webhook/"+token, sample) })
	<-st.parked
	if c := postCode(t, srv.URL+"/webhook/wrong-token-0123456789", sample); c != http.StatusNotFound {
		t.Errorf("unknown token while the limit is reached: status %d, want 404 as always", c)
	}
}

// TestTricklingBodyIs408 sends the headers at once and the body a byte at a time:
// the handler stops reading at the budget instead of the server's ReadTimeout.
func TestTricklingBodyIs408(t *testing.T) {
	srv, rec := limitedServer(t, memstore.New(), nil)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `[{"uuid":"slow-1","action":"create","location":"Slow","stations":1}]`
	start := time.Now()
	_, err = io.WriteString(conn, "POST /webhook/"+token+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() { // one byte every 100 ms; the whole body would take 7 s
		for i := 0; i < len(body); i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
		}
	}()
	defer close(stop)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a trickling body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	took := time.Since(start)
	if resp.StatusCode != http.StatusRequestTimeout || took > webhook.Budget+raceSlack {
		t.Fatalf("trickling body: %d %q after %s, want 408 within %s", resp.StatusCode, b, took, webhook.Budget)
	}
	if !strings.Contains(string(b), "did not arrive in time") || !strings.Contains(string(b), "nothing was applied") {
		t.Errorf("408 body %q does not say what happened", b)
	}
	if n := len(rec.outcomes); n != 0 {
		t.Errorf("%d events were applied from a body that did not arrive", n)
	}
}

func postRead(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Errorf("POST: %v", err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postCode(t *testing.T, url, body string) int {
	code, _ := postRead(t, url, body)
	return code
}

func countCode(r *recorder, code int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.codes {
		if c == code {
			n++
		}
	}
	return n
}
