package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/memstore"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/webhook"
)

func creates(from, n int, loc string) string {
	evs := make([]string, n)
	for i := range evs {
		evs[i] = fmt.Sprintf(`{"uuid":"u%d","action":"create","location":%q,"stations":1}`, from+i, loc)
	}
	return "[" + strings.Join(evs, ",") + "]"
}

func TestSessionLimits(t *testing.T) {
	const bound = "bound0123456789abcdef"
	var logs bytes.Buffer
	store := memstore.New()
	rec := &recorder{}
	s := webhook.NewSettings(webhook.Settings{
		Hooks: []webhook.Hook{
			{Name: "main", Token: token},
			{Name: "venue", Token: bound, Location: "Venue", MaxActive: 3},
		},
		MaxBodyBytes: 1 << 20, MaxEvents: 1000, MaxActiveSessions: 10,
	})
	h := webhook.New(store, rec, func() bool { return true }, s, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	h.Register(r)
	post := func(tok, body string) webhook.Answer {
		t.Helper()
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhook/"+tok, strings.NewReader(body)))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var a webhook.Answer
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		return a
	}

	// The bound webhook holds at most 3 sessions at its location, whatever the payload says.
	a := post(bound, creates(0, 5, "Elsewhere"))
	if a.Applied != 3 || a.Rejected != 2 || len(a.Errors) != 2 {
		t.Errorf("bound webhook, 5 creates: %+v, want 3 applied, 2 rejected", a)
	}
	// A delete is always taken, and frees a place.
	a = post(bound, `[{"uuid":"u0","action":"delete"},{"uuid":"u9","action":"create"}]`)
	if a.Applied != 2 || a.Rejected != 0 {
		t.Errorf("bound webhook, delete then create: %+v, want both applied", a)
	}
	// The whole store holds at most 10: 3 at Venue, so 7 more through the other webhook.
	a = post(token, creates(100, 9, "Downtown"))
	if a.Applied != 7 || a.Rejected != 2 {
		t.Errorf("unbound webhook, 9 creates: %+v, want 7 applied, 2 rejected", a)
	}
	// A duplicate create of an active session is no new state and is taken.
	a = post(token, creates(100, 1, "Downtown"))
	if a.Duplicates != 1 || a.Rejected != 0 {
		t.Errorf("duplicate at the limit: %+v, want a duplicate", a)
	}

	if got := strings.Count(strings.Join(rec.rejected, ","), webhook.ReasonSessionLimit); got != 4 {
		t.Errorf("rejections counted as %s: %d, want 4 (%v)", webhook.ReasonSessionLimit, got, rec.rejected)
	}
	if slices.ContainsFunc(rec.outcomes, func(o session.Outcome) bool { return o.Result == session.ResultLimited }) {
		t.Error("a refused create reached the outcome counters")
	}
	out := logs.String()
	if strings.Contains(out, bound) || strings.Contains(out, token) {
		t.Errorf("the log shows a token:\n%s", out)
	}
	// Two refusing requests within a second: one warning, naming the webhook.
	if n := strings.Count(out, "Active-session limit reached"); n < 1 || n > 2 {
		t.Errorf("%d limit warnings for 4 refusals in two requests within a second, want 1 or 2:\n%s", n, out)
	}
	if !strings.Contains(out, `"hook":"venue"`) {
		t.Errorf("the warning does not name the webhook:\n%s", out)
	}
	if !slices.Contains(webhook.Reasons, webhook.ReasonSessionLimit) {
		t.Error("Reasons lacks the session limit, so its counter is not pre-set")
	}
}
