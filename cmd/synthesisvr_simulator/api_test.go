package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/cmd/synthesisvr_simulator/internal/simulator"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/config"
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

func TestAPIKeysComeFromTheConfig(t *testing.T) {
	f := &apiFlags{keys: map[string]string{"Mall": "flag-key"}}
	keys, fromConfig, err := f.apiKeys([]simulator.APIKey{
		{Location: "Downtown", Key: "config-key"}, {Location: "Mall", Key: "mall-config-key"}, {Location: "Airport"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range keys {
		got[k.Location] = k.Key
	}
	if got["Downtown"] != "config-key" || got["Mall"] != "flag-key" || got["Airport"] == "" {
		t.Errorf("keys %v: want Downtown's from the config, Mall's from --api.key, Airport's generated", got)
	}
	if !fromConfig["Downtown"] || fromConfig["Mall"] || fromConfig["Airport"] {
		t.Errorf("from the config: %v, want Downtown alone", fromConfig)
	}
	var out bytes.Buffer
	printAPIConfig(&out, "http://127.0.0.1:9866", keys, fromConfig, "venue.yml")
	for _, want := range []string{"url: http://127.0.0.1:9866", "# api_key: as in venue.yml", `api_key: "flag-key"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed config lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "config-key") {
		t.Errorf("the printed config repeats a key of the config file:\n%s", out.String())
	}
}

func TestAPIListensWhereTheConfigSays(t *testing.T) {
	cases := map[string]struct {
		url, want string
	}{
		"loopback":          {"http://127.0.0.1:9866", "127.0.0.1:9866"},
		"localhost":         {"http://localhost:9866/", "localhost:9866"},
		"IPv6 loopback":     {"http://[::1]:9866", "[::1]:9866"},
		"the real API":      {"https://api.synthesisvr.com", ""},
		"another host":      {"http://10.0.0.5:9866", ""},
		"no port":           {"http://127.0.0.1", ""},
		"a path":            {"http://127.0.0.1:9866/api", ""},
		"https on loopback": {"https://127.0.0.1:9866", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := loopbackAddr(c.url)
			if got != c.want || ok != (c.want != "") {
				t.Errorf("loopbackAddr(%q) = %q, %v; want %q", c.url, got, ok, c.want)
			}
			f := &apiFlags{listen: "127.0.0.1:0"}
			f.useConfig("c.yml", &config.API{URL: c.url})
			if want := cmp.Or(c.want, "127.0.0.1:0"); f.listen != want {
				t.Errorf("listens at %q, want %q", f.listen, want)
			}
			f = &apiFlags{listen: "127.0.0.1:1234", listenSet: true}
			if f.useConfig("c.yml", &config.API{URL: c.url}); f.listen != "127.0.0.1:1234" {
				t.Errorf("--api.listen-address given, but listens at %q", f.listen)
			}
		})
	}
}
