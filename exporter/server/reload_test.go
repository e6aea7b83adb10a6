package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestReloadLifecycle(t *testing.T) {
	tests := map[string]struct {
		lifecycle bool
		method    string
		header    map[string]string
		wantCode  int
		wantText  string
		reloads   int
	}{
		"closed without the flag":          {false, http.MethodPost, nil, http.StatusForbidden, "--web.enable-lifecycle", 0},
		"PUT closed without the flag":      {false, http.MethodPut, nil, http.StatusForbidden, "--web.enable-lifecycle", 0},
		"open with the flag":               {true, http.MethodPost, nil, http.StatusOK, "Configuration reloaded.", 1},
		"PUT open with the flag":           {true, http.MethodPut, nil, http.StatusOK, "Configuration reloaded.", 1},
		"same origin":                      {true, http.MethodPost, map[string]string{"Origin": "http://exporter.local:9865", "Sec-Fetch-Site": "same-origin"}, http.StatusOK, "reloaded", 1},
		"browser marks it cross-site":      {true, http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "Cross-site", 0},
		"origin of another host":           {true, http.MethodPost, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden, "Cross-site", 0},
		"origin of the host, another port": {true, http.MethodPost, map[string]string{"Origin": "http://exporter.local:80"}, http.StatusForbidden, "Cross-site", 0},
		"opaque origin":                    {true, http.MethodPost, map[string]string{"Origin": "null"}, http.StatusForbidden, "Cross-site", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			reloads := 0
			o := Options{Lifecycle: tc.lifecycle, Reload: func() error { reloads++; return nil }}
			r := gin.New()
			r.POST("/-/reload", o.reload)
			r.PUT("/-/reload", o.reload)
			req := httptest.NewRequest(tc.method, "http://exporter.local:9865/-/reload", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.wantCode || !strings.Contains(w.Body.String(), tc.wantText) || reloads != tc.reloads {
				t.Errorf("%d %q after %d reloads, want %d containing %q after %d", w.Code, w.Body, reloads, tc.wantCode, tc.wantText, tc.reloads)
			}
		})
	}
}
