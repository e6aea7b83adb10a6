package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

func TestEndSessionsPostsDeletesToEachLocationsWebhook(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]int{} // path -> events per POST
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var evs []Event
		if err := json.NewDecoder(r.Body).Decode(&evs); err != nil {
			t.Error(err)
		}
		for _, e := range evs {
			if e.Action != actionDelete {
				t.Errorf("clean-up sent %q, want delete", e.Action)
			}
		}
		mu.Lock()
		got[r.URL.Path] = append(got[r.URL.Path], len(evs))
		mu.Unlock()
		if r.URL.Path == "/webhook/broken" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	var evs []Event
	for i := range 250 {
		evs = append(evs, Event{UUID: fmt.Sprint(i), Action: actionDelete, Location: "Sim A"})
	}
	evs = append(evs, Event{UUID: "x", Action: actionDelete, Location: "Sim B"})
	res := EndSessions(context.Background(), NewClient(1), evs, func(l string) string {
		if l == "Sim B" {
			return srv.URL + "/webhook/broken"
		}
		return srv.URL + "/webhook/a"
	})
	if res.Ended != 250 || res.Failed != 1 {
		t.Errorf("ended %d, failed %d; want 250 and 1", res.Ended, res.Failed)
	}
	if fmt.Sprint(got["/webhook/a"]) != "[100 100 50]" || fmt.Sprint(got["/webhook/broken"]) != "[1]" {
		t.Errorf("POSTs per webhook: %v, want [100 100 50] to a and [1] to broken", got)
	}
}

func TestForgetLocationAsksTheAdminAPI(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/sessions":
			_, _ = w.Write([]byte(`{"sessions":[]}`))
		case r.Method == http.MethodDelete && r.URL.EscapedPath() == "/api/v1/locations/Sim%20Old%20Town" && r.URL.RawQuery == "force=true":
			_, _ = w.Write([]byte(`{}`))
		case r.Method == http.MethodDelete && r.URL.Path == "/api/v1/locations/Sim Gone":
			http.Error(w, `{"error":"no location"}`, http.StatusNotFound)
		default:
			http.Error(w, `{"error":"configured"}`, http.StatusConflict)
		}
	}))
	defer srv.Close()
	ctx, c := context.Background(), NewClient(1)
	if ok, why := AdminAPI(ctx, c, srv.URL+"/"); !ok {
		t.Errorf("AdminAPI = false (%s), want true", why)
	}
	if err := ForgetLocation(ctx, c, srv.URL, "Sim Old Town"); err != nil {
		t.Errorf("forgetting Sim Old Town: %v", err)
	}
	if err := ForgetLocation(ctx, c, srv.URL, "Sim Gone"); err != nil {
		t.Errorf("a location already unknown counts as forgotten: %v", err)
	}
	if err := ForgetLocation(ctx, c, srv.URL, "Sim Kept"); err == nil {
		t.Error("a 409 is not an error")
	}
	off := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer off.Close()
	if ok, why := AdminAPI(ctx, c, off.URL); ok || why != "403 Forbidden" {
		t.Errorf("AdminAPI on a 403 = %v (%s), want false and the status", ok, why)
	}
}
