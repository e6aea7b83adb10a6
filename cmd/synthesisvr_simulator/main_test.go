package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommandLine(t *testing.T) {
	noToken := "--webhook.token-file=" + filepath.Join(t.TempDir(), "none")
	cases := map[string]struct {
		args     []string
		code     int
		inOutput string
	}{
		"help":                {args: []string{"--help"}, code: 0, inOutput: "demo*"},
		"unknown flag":        {args: []string{"load", "--nope"}, code: 2, inOutput: "unknown long flag '--nope'"},
		"no token":            {args: []string{"--exporter.url=http://127.0.0.1:1", "check"}, code: 2, inOutput: "no webhook token for --exporter.url http://127.0.0.1:1: pass --webhook.token"},
		"no token file":       {args: []string{"--exporter.url=http://127.0.0.1:1", noToken, "check"}, code: 2, inOutput: "reading the webhook token"},
		"bad rate":            {args: []string{"--webhook.token=x", "load", "--edges.duplicate=1.5"}, code: 2, inOutput: "--edges.duplicate must be a probability"},
		"bad opening hours":   {args: []string{"--webhook.token=x", "demo", "--open=10-22"}, code: 2, inOutput: "--open: opening hours"},
		"bad time zone":       {args: []string{"--webhook.token=x", "demo", "--timezone=Mars/Base"}, code: 2, inOutput: "--timezone"},
		"config without file": {args: []string{"--webhook.token=x", "demo", "--config.file=/nonexistent.yml"}, code: 2, inOutput: "nonexistent.yml"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("SYNTHESISVR_WEBHOOK_TOKEN", "")
			var out bytes.Buffer
			if code := run(c.args, &out, &out); code != c.code {
				t.Errorf("exit code %d, want %d; output:\n%s", code, c.code, out.String())
			}
			if !strings.Contains(out.String(), c.inOutput) {
				t.Errorf("output does not hold %q:\n%s", c.inOutput, out.String())
			}
		})
	}
}

func TestLoadReportsAWrongToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	var out bytes.Buffer
	code := run([]string{"--exporter.url=" + srv.URL, "--webhook.token=wrong", "load", "--events=5", "--connections=1"}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "answered 404") || strings.Contains(out.String(), "wrong") && strings.Contains(out.String(), "/webhook/wrong") {
		t.Errorf("exit code %d, want 1 with a 404 hint and no token shown; output:\n%s", code, out.String())
	}
}
