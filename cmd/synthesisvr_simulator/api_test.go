package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAPICommandServesAndPrintsTheConfig(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- runContext(ctx, []string{"api", "--listen-address=127.0.0.1:0", "--locations=2", "--timezone=UTC",
			"--api.key=Downtown=downtown-key", "--seed=3"}, w, io.Discard)
		w.Close()
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit code %d", code)
		}
	}()
	lines := bufio.NewScanner(r)
	var url string
	var printed []string
	keys := 0
	for keys < 2 && lines.Scan() {
		l := lines.Text()
		printed = append(printed, l)
		if u, ok := strings.CutPrefix(l, "fake SynthesisVR API: "); ok {
			url = u
		}
		if strings.Contains(l, "api_key:") {
			keys++
		}
	}
	go io.Copy(io.Discard, r)
	out := strings.Join(printed, "\n")
	for _, want := range []string{"synthesisvr_api:", "url: " + url, `- name: "Downtown"`, `api_key: "downtown-key"`, `- name: "Riverside Mall"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the printed config lacks %q:\n%s", want, out)
		}
	}
	for key, want := range map[string]int{"downtown-key": http.StatusOK, "wrong": http.StatusForbidden} {
		resp, err := http.Get(url + "/data/sessions/" + key + "/json/1%20day/today")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == http.StatusOK && !bytes.Contains(body, []byte(`"start_time"`)) {
			t.Errorf("key %s: %d %s, want %d (with sessions)", key, resp.StatusCode, body, want)
		}
	}
}

func TestAPIFlagsAreChecked(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"bad shape":       {args: []string{"api", "--api.shape=tree"}, want: "--api.shape must be one of"},
		"bad rate":        {args: []string{"--webhook.token=x", "demo", "--api", "--api.errors=2"}, want: "--api.errors must be a probability"},
		"unknown key for": {args: []string{"api", "--locations=1", "--api.key=Nowhere=k", "--listen-address=127.0.0.1:0"}, want: "Nowhere"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			code := runContext(context.Background(), c.args, &out, &out)
			if code == 0 || !strings.Contains(out.String(), c.want) {
				t.Errorf("exit %d, output %q, want a failure naming %q", code, out.String(), c.want)
			}
		})
	}
}
