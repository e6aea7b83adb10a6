package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// limitedConfig is a config whose whole store holds total sessions and whose
// Downtown webhook holds perHook.
func limitedConfig(total, perHook int) string {
	return "webhooks:\n" +
		"  - name: main\n    token: " + mainToken + "\n" +
		"  - name: downtown\n    token: \"" + downtownToken + "\"\n    location: Downtown\n" +
		fmt.Sprintf("    max_active_sessions: %d\n", perHook) +
		fmt.Sprintf("limits:\n  max_active_sessions: %d\n", total)
}

func TestOneTokenCannotHoldMoreSessionsThanItsLimit(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, limitedConfig(8, 3))
	p := startExporter(t, options{config: cfg})
	if v, _ := scrape(t, p.base).value("synthesisvr_webhook_events_rejected_total", "reason", "session_limit"); v != 0 {
		t.Fatalf("session_limit rejections before any event = %v, want a pre-set 0", v)
	}

	// The bound webhook: 3 sessions at Downtown, whatever the payload names.
	a := postEvents(t, p.webhookURL(downtownToken), createBatch("d", "Elsewhere", 10))
	wantCounts(t, a, counts{Received: 10, Applied: 3, Rejected: 7})
	// A delete is always taken and frees a place.
	a = postEvents(t, p.webhookURL(downtownToken), `[{"uuid":"d-0","action":"delete"},`+createEvent("d-new", "x", 1)+`]`)
	wantCounts(t, a, counts{Received: 2, Applied: 2})
	// The whole store: 3 at Downtown and 5 more through the other webhook.
	a = postEvents(t, p.webhookURL(mainToken), createBatch("m", "Uptown", 10))
	wantCounts(t, a, counts{Received: 10, Applied: 5, Rejected: 5})

	m := scrape(t, p.base)
	m.want(t, 3, "synthesisvr_sessions_active", "location", "Downtown")
	m.want(t, 5, "synthesisvr_sessions_active", "location", "Uptown")
	m.want(t, 12, "synthesisvr_webhook_events_rejected_total", "reason", "session_limit")
	log := p.log.String()
	if !strings.Contains(log, "Active-session limit reached") || !strings.Contains(log, "hook=downtown") {
		t.Errorf("no limit warning naming the webhook in the log")
	}
	for _, tok := range configTokens {
		if strings.Contains(log, tok) {
			t.Error("the log shows a token")
		}
	}

	// The limit is reloadable: SIGHUP with a higher one takes the refused creates.
	writeFile(t, cfg, limitedConfig(20, 3))
	p.signal(syscall.SIGHUP)
	p.waitLog("Configuration reloaded", 1)
	a = postEvents(t, p.webhookURL(mainToken), createBatch("m", "Uptown", 10))
	wantCounts(t, a, counts{Received: 10, Applied: 5, Duplicates: 5})
}

func TestReloadNeedsTheLifecycleFlag(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, configText())

	closed := startExporter(t, options{config: cfg})
	for _, method := range []string{http.MethodPost, http.MethodPut} {
		r := do(t, method, closed.base+"/-/reload", "", "")
		if r.code != http.StatusForbidden || !strings.Contains(r.body, "--web.enable-lifecycle") {
			t.Errorf("%s /-/reload without the flag: %d %q, want 403 naming --web.enable-lifecycle", method, r.code, r.body)
		}
	}
	if strings.Contains(closed.log.String(), "Configuration reloaded") {
		t.Error("a refused HTTP reload reloaded")
	}
	closed.signal(syscall.SIGHUP)
	closed.waitLog("Configuration reloaded", 1)

	open := startExporter(t, options{config: cfg, args: []string{"--web.enable-lifecycle"}})
	host := strings.TrimPrefix(open.base, "http://")
	for name, tc := range map[string]struct {
		header map[string]string
		want   int
	}{
		"curl":                       {nil, http.StatusOK},
		"same origin":                {map[string]string{"Origin": open.base, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		"a cross-site form":          {map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		"an origin of another host":  {map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		"marked cross-site, no host": {map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		"an origin, another port":    {map[string]string{"Origin": "http://" + strings.Split(host, ":")[0] + ":1"}, http.StatusForbidden},
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, open.base+"/-/reload", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("POST /-/reload: %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

// tokenLike is a bad config value that looks like a secret: no error may repeat it.
const tokenLike = "e2eLeakedLookingToken0123456789"

func TestConfigErrorsNameFileLineFieldButNoValue(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	base := "webhooks:\n  - name: main\n    token: " + mainToken + "\n" // 3 lines
	for name, tc := range map[string]struct {
		content string
		want    string // file:line: field
	}{
		"a token where a limit belongs": {base + "limits:\n  max_active_sessions: " + tokenLike + "\n", ":5: limits.max_active_sessions:"},
		"a token where a bool belongs":  {base + "tracing:\n  customer_id: " + tokenLike + "\n", ":5: tracing.customer_id:"},
		"an alias named after a token":  {base + "  - name: fifth\n    token: *" + tokenLike + "\n", ":5: not valid YAML"},
		"a token file path":             {base + "  - name: fifth\n    token_file: " + tokenLike + ".txt\n", ":5: webhooks[1].token_file:"},
	} {
		t.Run(name, func(t *testing.T) {
			writeFile(t, cfg, tc.content)
			log := &logBuffer{}
			q := launch(t, options{config: cfg}, log)
			if code := q.waitExit(readyTimeout); code != 1 {
				t.Fatalf("exit code %d with a bad config, want 1", code)
			}
			out := log.String()
			if !strings.Contains(out, cfg+tc.want) {
				t.Errorf("the start error does not name %s%s:\n%s", cfg, tc.want, out)
			}
			if strings.Contains(out, tokenLike) {
				t.Errorf("the start error repeats the value:\n%s", out)
			}
		})
	}

	// A reload answer is held to the same.
	writeFile(t, cfg, configText())
	p := startExporter(t, options{config: cfg, args: []string{"--web.enable-lifecycle"}})
	writeFile(t, cfg, base+"limits:\n  max_connections: "+tokenLike+"\n")
	r := post(t, p.base+"/-/reload", "")
	if r.code != http.StatusInternalServerError || !strings.Contains(r.body, cfg+":5: limits.max_connections:") || strings.Contains(r.body, tokenLike) {
		t.Errorf("reload of a bad config: %d %q, want 500 naming file, line and field, without the value", r.code, r.body)
	}
	if strings.Contains(p.log.String(), tokenLike) {
		t.Error("the reload's log repeats the value")
	}
}

func TestTokenFilesAreCheckedAndWarnedAbout(t *testing.T) {
	t.Run("a generated token edited to ab is refused", func(t *testing.T) {
		p := startExporter(t, options{})
		tok := readToken(t, p.storage)
		p.signal(syscall.SIGTERM)
		p.waitExit(readyTimeout)
		file := filepath.Join(filepath.Dir(p.storage), "webhook-token")
		if err := os.WriteFile(file, []byte("ab\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		log := &logBuffer{}
		q := launch(t, options{storage: p.storage}, log)
		if code := q.waitExit(readyTimeout); code != 1 {
			t.Fatalf("exit code %d with a generated token of 2 characters, want 1 (refused)", code)
		}
		if out := log.String(); !strings.Contains(out, file) || !strings.Contains(out, "too short") || strings.Contains(out, tok) {
			t.Errorf("the error does not name the file and the problem, or shows the old token:\n%s", out)
		}
	})
	t.Run("a token file readable by others", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "downtown.token")
		if err := os.WriteFile(file, []byte(downtownToken+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(file, 0o644); err != nil { // whatever the umask
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "config.yml")
		writeFile(t, cfg, "webhooks:\n  - name: downtown\n    token_file: downtown.token\n")
		p := startExporter(t, options{config: cfg})
		p.waitLog("readable by its group or by others", 1)
		out := p.log.String()
		if !strings.Contains(out, file) || strings.Contains(out, downtownToken) {
			t.Errorf("the warning does not name the file, or shows the token:\n%s", out)
		}
		wantTokensWork(t, p, downtownToken)
	})
}

func TestNoLocationLabelHoldsAFormatCharacter(t *testing.T) {
	p := startExporter(t, options{})
	tok := readToken(t, p.storage)
	postEvents(t, p.webhookURL(tok), `[{"uuid":"f-1","action":"create","location":"\u202eDown\u200btown\ufeff","stations":1}]`)
	m := scrape(t, p.base)
	m.want(t, 1, "synthesisvr_sessions_active", "location", "Downtown")
	for _, r := range "\u202e\u200b\ufeff" {
		if strings.ContainsRune(m.text, r) {
			t.Errorf("/metrics holds %U", r)
		}
	}

	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, "locations:\n  - name: \"Up\\u200Btown\"\n")
	log := &logBuffer{}
	q := launch(t, options{config: cfg}, log)
	if code := q.waitExit(readyTimeout); code != 1 || !strings.Contains(log.String(), cfg+":2: locations[0].name:") {
		t.Errorf("exit %d with a format character in a configured name, want 1 and the field named:\n%s", code, log.String())
	}
}
