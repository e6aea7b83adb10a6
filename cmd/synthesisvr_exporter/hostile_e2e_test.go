package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The hostile-input suite: what an attacker, a fuzzer or a broken proxy sends to
// the real server. It adds to unusualInputs (TestUnusualInputs) and the wrong
// tokens of TestUnknownTokenLooksLikeUnknownPath, without repeating them.

// hostileToken is the webhook token of the suite's exporter.
const hostileToken = "e2eHostileToken-0123456789abcdef"

// Limits of the suite's exporter: room for arrays of thousands of events.
const (
	hostileBodyLimit   = 2 << 20
	hostileEventsLimit = 5000
)

// hostileCase is one request body and what it must do: its status, fragments of
// the answer, the counts of a 200, the rejections it counts, and the location
// whose series it may change.
type hostileCase struct {
	name     string
	body     string
	header   map[string]string
	wantCode int
	wantText []string
	counts   counts
	rejected map[string]int
	location string
}

// hevent is a create of uuid at location with extra fields (JSON text) appended.
func hevent(uuid, location, extra string) string {
	return fmt.Sprintf(`{"uuid":%q,"action":"create","location":%q%s}`, uuid, location, extra)
}

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = io.WriteString(w, s)
	_ = w.Close()
	return b.String()
}

// malformedBodies are bodies that are not JSON of the accepted shape: 400, nothing applied.
func malformedBodies() []hostileCase {
	bad := func(name, body string, text ...string) hostileCase {
		return hostileCase{name: name, body: body, wantCode: http.StatusBadRequest, wantText: text}
	}
	return []hostileCase{
		bad("truncated inside a string", `[{"uuid":"abc`, "not valid JSON", "at byte 13"),
		bad("truncated after a key", `{"uuid":"x","action":`, "not valid JSON", "at byte 21"),
		bad("trailing garbage", `[]x`, "not valid JSON", "at byte 3"),
		bad("two JSON values", `[] []`, "not valid JSON", "after top-level value"),
		bad("JSON null", `null`, "neither a JSON array", "null"),
		bad("JSON number", `42`, "neither a JSON array"),
		bad("JSON true", `true`, "neither a JSON array"),
		bad("only white space", " \r\n\t ", "empty"),
		bad("NUL bytes", "\x00\x00[]", "not valid JSON", "at byte 1"),
		bad("UTF-16 with its byte-order mark", "\xff\xfe[\x00]\x00", "not UTF-8", "at byte 1"),
		bad("single quotes", `[{'uuid':'x','action':'create'}]`, "not valid JSON", "at byte 3"),
		bad("trailing comma", `[{"uuid":"x","action":"create"},]`, "not valid JSON"),
		bad("nested past encoding/json's depth", strings.Repeat("[", 20000)+strings.Repeat("]", 20000), "exceeded max depth"),
		{name: "gzip body with Content-Encoding: gzip", body: gzipped(createBatch("gz", "Gzip", 1)),
			header: map[string]string{"Content-Encoding": "gzip"}, wantCode: http.StatusBadRequest,
			wantText: []string{"not valid JSON", "at byte 1"}},
	}
}

// hostileEvents are valid JSON whose events are wrong, odd or many: 200, each
// invalid event rejected alone and counted by reason.
func hostileEvents() []hostileCase {
	rej := func(name, ev, reason, text string) hostileCase {
		return hostileCase{name: name, body: "[" + ev + "]", wantCode: http.StatusOK, wantText: []string{text},
			counts: counts{Received: 1, Rejected: 1}, rejected: map[string]int{reason: 1}}
	}
	ok := func(name, body, location string, c counts) hostileCase {
		return hostileCase{name: name, body: body, wantCode: http.StatusOK, counts: c, location: location}
	}
	many := make([]string, 3000)
	for i := range many {
		many[i] = hevent(fmt.Sprintf("many-%d", i), "Thousands", `,"stations":1`)
	}
	return []hostileCase{
		rej("uuid as a number", `{"uuid":123,"action":"create"}`, "invalid_uuid", "uuid"),
		rej("invalid UTF-8 in the uuid", "{\"uuid\":\"a\xffb\",\"action\":\"create\"}", "invalid_uuid", "printable ASCII"),
		rej("uuid of 65 characters", hevent(strings.Repeat("u", 65), "L", ""), "invalid_uuid", "uuid"),
		rej("uuid with a control character", `{"uuid":"a\u0001b","action":"create"}`, "invalid_uuid", "uuid"),
		rej("uuid null", `{"uuid":null,"action":"create"}`, "missing_uuid", "uuid"),
		rej("action as a number", `{"uuid":"act-1","action":1}`, "invalid_action", "action"),
		rej("action missing", `{"uuid":"act-2"}`, "missing_action", "action"),
		rej("stations beyond float64", hevent("st-1", "L", `,"stations":1e400`), "invalid_stations", "stations"),
		rej("stations beyond int64", hevent("st-2", "L", `,"stations":99999999999999999999`), "invalid_stations", "stations"),
		rej("negative stations", hevent("st-3", "L", `,"stations":-1`), "invalid_stations", "stations"),
		rej("stations over 10000", hevent("st-4", "L", `,"stations":10001`), "invalid_stations", "stations"),
		rej("fractional stations", hevent("st-5", "L", `,"stations":1.5`), "invalid_stations", "stations"),
		rej("stations as text", hevent("st-6", "L", `,"stations":"3abc"`), "invalid_stations", "stations"),
		rej("negative customer id", hevent("cu-1", "L", `,"customerid":-5`), "invalid_customerid", "customerid"),
		rej("customer id as an object", hevent("cu-2", "L", `,"customerid":{"id":1}`), "invalid_customerid", "customerid"),
		rej("location as a number", `{"uuid":"lo-1","action":"create","location":7}`, "invalid_location", "location"),
		{name: "array of non-objects", body: `[1,"a",null,[]]`, wantCode: http.StatusOK, wantText: []string{"event 3"},
			counts: counts{Received: 4, Rejected: 4}, rejected: map[string]int{"not_object": 4}},
		ok("empty array", `[]`, "", counts{}),
		ok("control characters and a newline in the location", `[{"uuid":"cc-1","action":"create","location":"Ctl\u0000\n\u001bRoom\t"}]`,
			"CtlRoom", counts{Received: 1, Applied: 1}),
		ok("invalid UTF-8 in the location", "[{\"uuid\":\"utf-1\",\"action\":\"create\",\"location\":\"Bad\xff\xfeUTF\"}]",
			"BadUTF", counts{Received: 1, Applied: 1}),
		ok("location of 10000 bytes is cut to 128", "["+hevent("long-1", strings.Repeat("L", 10000), "")+"]", strings.Repeat("L", 128), counts{Received: 1, Applied: 1}),
		ok("empty location", "["+hevent("empty-loc-1", "", "")+"]", "unknown", counts{Received: 1, Applied: 1}),
		ok("duplicate keys: the last one counts", `[{"uuid":"dup-a","uuid":"dup-b","action":"create","location":"Dup","location":"DupLast"}]`,
			"DupLast", counts{Received: 1, Applied: 1}),
		ok("deeply nested unknown field", "["+hevent("deep-1", "Deep", `,"x":`+strings.Repeat("[", 5000)+strings.Repeat("]", 5000))+"]",
			"Deep", counts{Received: 1, Applied: 1}),
		ok("3000 events in one array", "["+strings.Join(many, ",")+"]", "Thousands", counts{Received: 3000, Applied: 3000}),
		ok("UTF-8 byte-order mark", "\ufeff["+hevent("bom-1", "Bom", "")+"]", "Bom", counts{Received: 1, Applied: 1}),
		{name: "more events than the limit", body: "[" + strings.Repeat(`{},`, hostileEventsLimit) + `{}]`,
			wantCode: http.StatusRequestEntityTooLarge, wantText: []string{"too many events", "5000"}},
		{name: "body over the limit, sent chunked", body: "[" + strings.Repeat(" ", hostileBodyLimit) + "]",
			header: map[string]string{"Transfer-Encoding": "chunked"}, wantCode: http.StatusRequestEntityTooLarge,
			wantText: []string{"max_body_bytes"}},
	}
}

func TestHostileInputs(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yml")
	writeFile(t, cfg, fmt.Sprintf("limits:\n  max_body_bytes: %d\n  max_events_per_request: %d\n", hostileBodyLimit, hostileEventsLimit))
	p := startExporter(t, options{config: cfg, env: []string{"SYNTHESISVR_WEBHOOK_TOKEN=" + hostileToken}, args: []string{"--log.level=debug"}})
	url := p.webhookURL(hostileToken)
	wantCounts(t, postEvents(t, url, "["+createEvent("good-1", "Base", 2)+"]"), counts{Received: 1, Applied: 1})
	cases := append(malformedBodies(), hostileEvents()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := scrape(t, p.base)
			r := sendHostile(t, url, tc)
			after := scrape(t, p.base)
			checkHostile(t, tc, r)
			wantOnlyChanges(t, before, after, tc.wantCode, tc.rejected, tc.location)
			after.want(t, 1, mActive, "location", "Base")
		})
	}
	t.Run("wrong methods and tokens", func(t *testing.T) { checkWrongRequests(t, p) })
	t.Run("slow body", func(t *testing.T) { checkSlowBody(t, p, url) })
	t.Run("oversized header", func(t *testing.T) { checkLargeHeader(t, p, url) })
	n := len(cases) + len(wrongRequests(hostileToken)) + 2 + len(unusualInputs())
	t.Logf("hostile and unusual inputs tried against the binary: %d", n)
	if strings.Contains(p.log.String(), hostileToken) {
		t.Error("the token appears in the debug log of the hostile inputs")
	}
	if strings.Contains(p.log.String(), "panic") {
		t.Error("a hostile input made a handler panic")
	}
}

func sendHostile(t *testing.T, url string, tc hostileCase) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(tc.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range tc.header {
		req.Header.Set(k, v)
	}
	if tc.header["Transfer-Encoding"] == "chunked" {
		req.ContentLength = -1
		req.Body = io.NopCloser(strings.NewReader(tc.body))
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, body: string(b), header: resp.Header}
}

func checkHostile(t *testing.T, tc hostileCase, r reply) {
	t.Helper()
	if r.code != tc.wantCode {
		t.Fatalf("status %d, want %d; body %.300s", r.code, tc.wantCode, r.body)
	}
	for _, frag := range tc.wantText {
		if !strings.Contains(r.body, frag) {
			t.Errorf("answer %.300s does not mention %q", r.body, frag)
		}
	}
	if r.code == http.StatusOK {
		wantCounts(t, decodeAnswer(t, r.body), tc.counts)
		return
	}
	wantErrorJSON(t, r)
}

// wrongRequests are requests that must get exactly the 404 of an unknown path.
func wrongRequests(tok string) []struct{ name, method, path string } {
	return []struct{ name, method, path string }{
		{"PUT", http.MethodPut, "/webhook/" + tok},
		{"DELETE", http.MethodDelete, "/webhook/" + tok},
		{"PATCH", http.MethodPatch, "/webhook/" + tok},
		{"OPTIONS", http.MethodOptions, "/webhook/" + tok},
		{"token of 1 character", http.MethodPost, "/webhook/a"},
		{"token of 15 characters", http.MethodPost, "/webhook/" + tok[:15]},
		{"token of 16 characters", http.MethodPost, "/webhook/" + tok[:16]},
		{"token of 64 characters", http.MethodPost, "/webhook/" + strings.Repeat("t", 64)},
		{"token of 8000 characters", http.MethodPost, "/webhook/" + strings.Repeat("t", 8000)},
		{"token with an encoded slash", http.MethodPost, "/webhook/" + tok[:10] + "%2F" + tok[10:]},
		{"token with non-ASCII", http.MethodPost, "/webhook/" + tok + "%C3%A9"},
		{"token in lower case", http.MethodPost, "/webhook/" + strings.ToLower(tok)},
		{"token with dot segments", http.MethodPost, "/webhook/../webhook/" + tok},
	}
}

func checkWrongRequests(t *testing.T, p *exporterProc) {
	body := "[" + createEvent("wrong-1", "Wrong", 1) + "]"
	ref := post(t, p.base+"/nope", body)
	for _, tc := range wrongRequests(hostileToken) {
		t.Run(tc.name, func(t *testing.T) {
			before := scrape(t, p.base)
			r := do(t, tc.method, p.base+tc.path, "application/json", body)
			if r.code != ref.code || r.body != ref.body {
				t.Errorf("answer %d %q, want the answer of an unknown path: %d %q", r.code, r.body, ref.code, ref.body)
			}
			// A wrong token is counted as a 404 of the receiver; a wrong method is not.
			for k, v := range metricDiff(before, scrape(t, p.base)) {
				if k != seriesKey("synthesisvr_webhook_requests_total", "code", "404") || v != 1 {
					t.Errorf("a request to an unknown token changed %s by %v", k, v)
				}
			}
		})
	}
}

// checkSlowBody trickles a body a byte every 100 ms: the answer is 408 within the
// budget, and nothing is applied.
func checkSlowBody(t *testing.T, p *exporterProc, url string) {
	before := scrape(t, p.base)
	body := "[" + createEvent("slow-1", "Slow", 1) + "]"
	head := fmt.Sprintf("POST /webhook/%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", hostileToken, len(body))
	line, took := rawRequest(t, hostAddr(p.base), head, bytesOf(body), 100*time.Millisecond)
	if statusOfLine(line) != http.StatusRequestTimeout || took > 2*time.Second {
		t.Errorf("a trickled body got %q after %s, want 408 within 2 s", line, took)
	}
	wantOnlyChanges(t, before, scrape(t, p.base), http.StatusRequestTimeout, nil, "")
}

// checkLargeHeader sends 100 KiB of headers, past MaxHeaderBytes: 431, and no handler runs.
func checkLargeHeader(t *testing.T, p *exporterProc, url string) {
	before := scrape(t, p.base)
	head := fmt.Sprintf("POST /webhook/%s HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\nContent-Length: 2\r\n\r\n[]", hostileToken, strings.Repeat("b", 100<<10))
	line, _ := rawRequest(t, hostAddr(p.base), head, nil, 0)
	if statusOfLine(line) != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers got %q, want 431", line)
	}
	if d := metricDiff(before, scrape(t, p.base)); len(d) != 0 {
		t.Errorf("a refused header changed the metrics: %v", d)
	}
}
