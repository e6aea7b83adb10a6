package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestActiveSessionLimits(t *testing.T) {
	dir := tokenDir(t)
	c, err := Parse("config.yml", dir, []byte(lines(
		"webhooks:",
		"  - name: a",
		"    token_file: good.token",
		"    location: Downtown",
		"    max_active_sessions: 50",
		"limits:",
		"  max_active_sessions: 2000",
		"  max_connections: 64",
	)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Webhooks[0].MaxActiveSessions; got != 50 {
		t.Errorf("webhooks[0].max_active_sessions = %d, want 50", got)
	}
	if c.Limits.MaxActiveSessions != 2000 || c.Limits.MaxConnections != 64 {
		t.Errorf("limits = %+v, want max_active_sessions 2000, max_connections 64", c.Limits)
	}
	d := Default()
	if d.Limits.MaxActiveSessions != DefaultMaxActiveSessions || d.Limits.MaxConnections != DefaultMaxConnections {
		t.Errorf("default limits = %+v, want %d sessions and %d connections", d.Limits, DefaultMaxActiveSessions, DefaultMaxConnections)
	}
}

func TestSecurityParseErrors(t *testing.T) {
	dir := tokenDir(t)
	tests := map[string]struct {
		yaml string
		want []issue
	}{
		"a webhook limit without a location": {
			yaml: lines("webhooks:", "  - name: a", "    token_file: good.token", "    max_active_sessions: 5"),
			want: []issue{{4, "webhooks[0].max_active_sessions", "needs location"}},
		},
		"a webhook limit of 0": {
			yaml: lines("webhooks:", "  - name: a", "    token_file: good.token", "    location: A", "    max_active_sessions: 0"),
			want: []issue{{5, "webhooks[0].max_active_sessions", "must be greater than 0; leave it out for no limit of its own"}},
		},
		"limits too large": {
			yaml: lines("limits:", "  max_active_sessions: 10000001", "  max_connections: 1000001"),
			want: []issue{
				{2, "limits.max_active_sessions", "must be at most 10000000"},
				{3, "limits.max_connections", "must be at most 1000000"},
			},
		},
		"a format character in a location name": {
			yaml: lines("locations:", "  - name: \"Down\\u200Btown\""),
			want: []issue{{2, "locations[0].name", "must not contain invisible format characters"}},
		},
		"a right-to-left override in a bound location": {
			yaml: lines("webhooks:", "  - name: a", "    token_file: good.token", "    location: \"\\u202EnwotnwoD\""),
			want: []issue{{4, "webhooks[0].location", "must not contain invisible format characters"}},
		},
		// Values that could be secrets pasted in the wrong place are never repeated.
		"a token where an integer belongs": {
			yaml: lines("limits:", "  max_active_sessions: "+secret),
			want: []issue{{2, "limits.max_active_sessions", "must be an integer, got a string"}},
		},
		"a token where a bool belongs": {
			yaml: lines("tracing:", "  customer_id: "+secret),
			want: []issue{{2, "tracing.customer_id", "must be true or false, got a string"}},
		},
		"an alias named after a token": {
			yaml: lines("webhooks:", "  - name: a", "    token: *"+secret),
			want: []issue{{3, "", "not valid YAML: unknown anchor referenced"}},
		},
		"a token in a bad double-quoted scalar": {
			yaml: lines("webhooks:", "  - name: a", `    token: "`+secret+`\q"`),
			want: []issue{{3, "", "not valid YAML: "}},
		},
		"a token file path that is missing": {
			yaml: lines("webhooks:", "  - name: a", "    token_file: SECRET-path.token"),
			want: []issue{{3, "webhooks[0].token_file", "cannot read the file: no such file or directory"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("config.yml", dir, []byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			checkIssues(t, err, tt.want)
		})
	}
}

func TestExposedTokenFile(t *testing.T) {
	dir := tokenDir(t)
	open := writeFile(t, dir, "open.token", secret)
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("config.yml", dir, []byte(lines(
		"webhooks:",
		"  - name: open",
		"    token_file: open.token",
		"  - name: closed",
		"    token_file: other.token",
	)))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Webhooks[0].Exposed || c.Webhooks[1].Exposed {
		t.Errorf("exposed = %v, %v; want the 0644 file exposed and the 0600 one not", c.Webhooks[0].Exposed, c.Webhooks[1].Exposed)
	}

	gen := t.TempDir()
	path := filepath.Join(gen, GeneratedTokenFile)
	if err := os.WriteFile(path, []byte(otherSecret+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	hooks, err := Webhooks(Default(), TokenSources{Dir: gen, Generate: true})
	if err != nil || len(hooks) != 1 || !hooks[0].Exposed {
		t.Errorf("Webhooks with a 0640 generated file = %v, %v; want it exposed", hooks, err)
	}
}

func TestShortGeneratedTokenRefused(t *testing.T) {
	gen := t.TempDir()
	path := filepath.Join(gen, GeneratedTokenFile)
	if err := os.WriteFile(path, []byte("ab\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Webhooks(Default(), TokenSources{Dir: gen, Generate: true})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "too short") {
		t.Fatalf("Webhooks with a generated file holding ab: %v; want an error naming the file and a short token", err)
	}
}

func TestExposedAPIKeyFile(t *testing.T) {
	dir := tokenDir(t)
	open := writeFile(t, dir, "open.key", "key-of-downtown-1234")
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	closed := writeFile(t, dir, "closed.key", "key-of-mall-5678")
	if err := os.Chmod(closed, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("config.yml", dir, []byte(lines(
		"locations:",
		"  - name: Downtown",
		"    api_key_file: open.key",
		"  - name: Mall",
		"    api_key_file: closed.key",
	)))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Locations[0].APIKeyExposed || c.Locations[1].APIKeyExposed {
		t.Errorf("exposed = %v, %v; want the 0644 file exposed and the 0600 one not", c.Locations[0].APIKeyExposed, c.Locations[1].APIKeyExposed)
	}
	if c.Locations[0].APIKey != "key-of-downtown-1234" {
		t.Errorf("key not read from its file")
	}
}
