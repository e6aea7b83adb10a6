package server

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestPanicLogsNoToken(t *testing.T) {
	var log bytes.Buffer
	r := newEngine(slog.New(slog.NewTextHandler(&log, nil)))
	r.POST("/webhook/:token", func(*gin.Context) { panic("boom") })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/webhook/s3cr3t-t0ken-0123456789", strings.NewReader("[]")))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if strings.Contains(log.String(), "s3cr3t") || !strings.Contains(log.String(), "/webhook/:token") {
		t.Fatalf("log %q: want the route template and no token", log.String())
	}
}
