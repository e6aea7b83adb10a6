package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Tokens of the secrets test: one in the config file, one in a token file.
const (
	inlineSecret = "e2eSecretInline-0123456789abc"
	fileSecret   = "e2eSecretFile-0123456789abcde"
	metricsUser  = "prometheus"
	metricsPass  = "e2e-scrape-password"
)

// secretsConfig is a config with both webhooks and a small body limit.
func secretsConfig(tokenFile string) string {
	return "webhooks:\n  - name: inline\n    token: " + inlineSecret + "\n" +
		"  - name: filed\n    token_file: " + tokenFile + "\n    location: Filed\n" +
		"limits:\n  max_body_bytes: 1024\n"
}

// TestSecretsStaySecret runs the exporter at debug level with TLS and basic auth
// on /metrics, the webhook on its own TLS listener, and traces sent to a receiver;
// it goes through every error path it can reach from outside, then looks for the
// tokens in the log, the metrics, the spans and every answer.
func TestSecretsStaySecret(t *testing.T) {
	requireBinary(t)
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	web := webConfig(t, dir, certFile, keyFile, metricsUser, metricsPass)
	tokenFile := filepath.Join(dir, "filed.token")
	writeFile(t, tokenFile, fileSecret+"\n")
	cfg := filepath.Join(dir, "config.yml")
	writeFile(t, cfg, secretsConfig(tokenFile))
	rcv := startOTLPReceiver(t)
	log := &logBuffer{}
	p := launch(t, options{storage: filepath.Join(dir, "data", "synthesisvr.db"), config: cfg, hookPort: true, env: rcv.env(),
		args: []string{"--web.config.file=" + web, "--log.level=debug", "--web.enable-lifecycle"}}, log)
	c := tlsClient(pool)
	main, hook := "https://"+hostAddr(p.base), "https://"+hostAddr(p.hookBase)
	waitReadyTLS(t, p, c, main, metricsUser, metricsPass)
	s := &seen{}

	t.Run("metrics need basic auth and TLS", func(t *testing.T) { checkMetricsAuth(t, s, c, p, main) })
	t.Run("webhook answers its token alone", func(t *testing.T) { checkWebhookTLS(t, s, c, main, hook) })
	t.Run("error paths", func(t *testing.T) { walkErrorPaths(t, s, c, p, hook, main, cfg, tokenFile) })
	rcv.waitSpan("a create span", named("synthesisvr.session.create", "sec-1"))

	metrics := s.call(t, c, http.MethodGet, main+"/metrics", "", metricsUser, metricsPass)
	if !strings.Contains(p.log.String(), "Reloading the configuration failed") || !strings.Contains(p.log.String(), "Webhook body refused") {
		t.Error("the log shows no failed reload or refused body: the error paths were not walked")
	}
	for _, tok := range []string{inlineSecret, fileSecret} {
		name := tok[:len("e2eSecretInline")]
		if strings.Contains(p.log.String(), tok) {
			t.Errorf("the debug log shows token %s...", name)
		}
		if strings.Contains(metrics.body, tok) {
			t.Errorf("/metrics shows token %s...", name)
		}
		if rcv.contains([]byte(tok)) {
			t.Errorf("a span sent to the OTLP receiver holds token %s...", name)
		}
		for _, b := range s.bodies {
			if strings.Contains(b, tok) {
				t.Errorf("an answer shows token %s...: %.200s", name, b)
			}
		}
	}
	t.Logf("%d answers, %d log bytes at debug level and %d spans searched for the tokens", len(s.bodies), len(p.log.String()), len(rcv.all()))
}

func checkMetricsAuth(t *testing.T, s *seen, c *http.Client, p *exporterProc, main string) {
	tests := map[string]struct {
		client     *http.Client
		url        string
		user, pass string
		want       int
	}{
		"no credentials":                  {c, main + "/metrics", "", "", http.StatusUnauthorized},
		"wrong password":                  {c, main + "/metrics", metricsUser, "nope", http.StatusUnauthorized},
		"a webhook token as the password": {c, main + "/metrics", metricsUser, inlineSecret, http.StatusUnauthorized},
		"right credentials":               {c, main + "/metrics", metricsUser, metricsPass, http.StatusOK},
		"plain HTTP":                      {client, p.base + "/metrics", metricsUser, metricsPass, http.StatusBadRequest},
		"reload without credentials":      {c, main + "/-/reload", "", "", http.StatusUnauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			method := http.MethodGet
			if strings.HasSuffix(tc.url, "reload") {
				method = http.MethodPost
			}
			if r := s.call(t, tc.client, method, tc.url, "", tc.user, tc.pass); r.code != tc.want {
				t.Errorf("status %d, want %d: %.200s", r.code, tc.want, r.body)
			}
		})
	}
}

func checkWebhookTLS(t *testing.T, s *seen, c *http.Client, main, hook string) {
	body := "[" + createEvent("sec-1", "Secret", 1) + "]"
	if r := s.call(t, c, http.MethodPost, hook+"/webhook/"+inlineSecret, body, "", ""); r.code != http.StatusOK {
		t.Errorf("the webhook with its token alone, over TLS: %d %s, want 200", r.code, r.body)
	}
	if r := s.call(t, c, http.MethodPost, hook+"/webhook/"+fileSecret, "["+createEvent("sec-2", "x", 1)+"]", "", ""); r.code != http.StatusOK {
		t.Errorf("the webhook of the token file: %d %s, want 200", r.code, r.body)
	}
	if r := s.call(t, c, http.MethodPost, main+"/webhook/"+inlineSecret, body, metricsUser, metricsPass); r.code != http.StatusNotFound {
		t.Errorf("the webhook on the main listener: %d, want 404 (it has its own)", r.code)
	}
}

// walkErrorPaths sends the refusals, rejections and reload failures, with both
// tokens, each once.
func walkErrorPaths(t *testing.T, s *seen, c *http.Client, p *exporterProc, hook, main, cfg, tokenFile string) {
	for _, tok := range []string{inlineSecret, fileSecret} {
		url := hook + "/webhook/" + tok
		for name, tc := range map[string]struct {
			body string
			want int
		}{
			// What a sender puts in a body may be quoted back (a few bytes of it): the
			// bodies here hold no token, so any token found came from the exporter.
			"not JSON":           {"uuid=1&action=create", http.StatusBadRequest},
			"wrong shape":        {`"events"`, http.StatusBadRequest},
			"invalid events":     {`[{"uuid":"` + strings.Repeat("x", 70) + `","action":"create"},{"action":7}]`, http.StatusOK},
			"too large":          {"[" + strings.Repeat(" ", 2048) + "]", http.StatusRequestEntityTooLarge},
			"delete of no one":   {`[{"uuid":"sec-none","action":"delete"}]`, http.StatusOK},
			"unknown action":     {`[{"uuid":"sec-3","action":"pause"}]`, http.StatusOK},
			"empty":              {"", http.StatusBadRequest},
			"typographic quotes": {documentedCreate, http.StatusBadRequest},
		} {
			if r := s.call(t, c, http.MethodPost, url, tc.body, "", ""); r.code != tc.want {
				t.Errorf("%s: status %d, want %d", name, r.code, tc.want)
			}
		}
		for _, wrong := range []string{tok + "x", tok[:len(tok)-1], strings.ToUpper(tok)} {
			if r := s.call(t, c, http.MethodPost, hook+"/webhook/"+wrong, "[]", "", ""); r.code != http.StatusNotFound {
				t.Errorf("a token one change off: status %d, want 404", r.code)
			}
		}
	}
	badReloads(t, s, c, p, main, cfg, tokenFile)
}

// badReloads makes reloads fail in ways whose messages are near a token.
func badReloads(t *testing.T, s *seen, c *http.Client, p *exporterProc, main, cfg, tokenFile string) {
	good := secretsConfig(tokenFile)
	for name, content := range map[string]string{
		"token with a bad character": strings.Replace(good, inlineSecret, inlineSecret+"/x", 1),
		"same token twice":           good + "  - name: again\n    token: " + inlineSecret + "\n",
		"token and token_file":       strings.Replace(good, "    location: Filed\n", "    location: Filed\n    token: "+fileSecret+"\n", 1),
		"token under an unknown key": good + "secrets:\n  token: " + inlineSecret + "\n",
		"token as a webhook name":    strings.Replace(good, "name: inline", "name: "+inlineSecret+"\n    nme: x", 1),
		"token file unreadable":      strings.Replace(good, tokenFile, tokenFile+".missing", 1),
	} {
		writeFile(t, cfg, content)
		r := s.call(t, c, http.MethodPost, main+"/-/reload", "", metricsUser, metricsPass)
		if r.code != http.StatusInternalServerError {
			t.Errorf("reload of a config with %s: status %d, want 500: %s", name, r.code, r.body)
		}
		before := strings.Count(p.log.String(), "Reloading the configuration failed")
		p.signal(syscall.SIGHUP)
		p.waitLog("Reloading the configuration failed", before+1)
	}
	writeFile(t, cfg, good)
	if r := s.call(t, c, http.MethodPost, main+"/-/reload", "", metricsUser, metricsPass); r.code != http.StatusOK {
		t.Errorf("reload of the good config: %d %s", r.code, r.body)
	}
}
