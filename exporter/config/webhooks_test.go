package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// hookView is what a test compares of a webhook: everything but the token.
type hookView struct{ Name, Location, Source string }

func views(hooks []Webhook) []hookView {
	out := make([]hookView, len(hooks))
	for i, h := range hooks {
		out[i] = hookView{h.Name, h.Location, h.Source}
	}
	return out
}

func TestWebhooks(t *testing.T) {
	configured := []Webhook{{Name: "downtown", Token: secret, Location: "Downtown"}, {Name: "mall", Token: otherSecret, TokenFile: "/run/secrets/mall"}}
	const generated = "SECRETgenerated0123456789"
	tests := map[string]struct {
		hooks     []Webhook
		noKeep    bool   // generated_token: false
		file      string // the generated file's content; "" for no file
		env       *string
		replicas  bool // Generate off
		want      []hookView
		wantErr   string
		wantIs    error
		wantToken string // the token of the last webhook
	}{
		"config only": {
			hooks: configured,
			want:  []hookView{{"downtown", "Downtown", "config token"}, {"mall", "", "token_file /run/secrets/mall"}},
		},
		"a generated token stays valid when webhooks are configured": {
			hooks: configured, file: generated + "\n",
			want: []hookView{{"downtown", "Downtown", "config token"}, {"mall", "", "token_file /run/secrets/mall"},
				{"generated", "", "generated file DIR/webhook-token"}},
			wantToken: generated,
		},
		"generated_token: false drops it": {
			hooks: configured, file: generated, noKeep: true,
			want: []hookView{{"downtown", "Downtown", "config token"}, {"mall", "", "token_file /run/secrets/mall"}},
		},
		"a generated token copied into the config is listed once": {
			hooks: []Webhook{{Name: "a", Token: generated}}, file: generated,
			want: []hookView{{"a", "", "config token"}},
		},
		"environment and generated file": {
			env: ptr(secret), file: generated,
			want:      []hookView{{"environment", "", "environment SYNTHESISVR_WEBHOOK_TOKEN"}, {"generated", "", "generated file DIR/webhook-token"}},
			wantToken: generated,
		},
		"the generated file is read back": {
			file: "  " + generated + "\n", want: []hookView{{"generated", "", "generated file DIR/webhook-token"}}, wantToken: generated,
		},
		"a bad environment token": {
			env: ptr(shortSecret), wantErr: "environment variable SYNTHESISVR_WEBHOOK_TOKEN: token is too short", wantIs: ErrTokenTooShort,
		},
		"an empty environment token": {
			env: ptr(""), wantErr: "environment variable SYNTHESISVR_WEBHOOK_TOKEN: token is too short",
		},
		"an empty generated file": {
			hooks: configured, file: "\n", wantErr: `generated webhook token file DIR/webhook-token: the file is empty`,
		},
		"a generated file with a bad token": {
			hooks: configured, file: slashSecret, wantErr: `generated webhook token file DIR/webhook-token: the file's token has a character that is not allowed`, wantIs: ErrTokenChars,
		},
		"a bad generated file is not read with generated_token: false": {
			hooks: configured, file: "\n", noKeep: true,
			want: []hookView{{"downtown", "Downtown", "config token"}, {"mall", "", "token_file /run/secrets/mall"}},
		},
		"nothing at all with generated_token: false": {
			noKeep: true, wantErr: "no webhook token is configured, and the config file says generated_token: false",
		},
		"replicas without a token": {
			replicas: true, file: generated, wantIs: ErrNoToken, wantErr: "no webhook token is configured",
		},
		"replicas do not use a generated file": {
			replicas: true, env: ptr(secret), file: generated,
			want: []hookView{{"environment", "", "environment SYNTHESISVR_WEBHOOK_TOKEN"}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				writeFile(t, dir, GeneratedTokenFile, tt.file)
			}
			cfg := Default()
			cfg.Webhooks, cfg.GeneratedToken = tt.hooks, !tt.noKeep
			src := TokenSources{Dir: dir, Generate: !tt.replicas}
			if tt.env != nil {
				src.Env, src.EnvSet = *tt.env, true
			}
			got, err := Webhooks(cfg, src)
			if tt.wantErr != "" {
				want := strings.ReplaceAll(tt.wantErr, "DIR", dir)
				if err == nil || !strings.HasPrefix(err.Error(), want) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
					t.Fatalf("err %v, want one starting with %q (is %v)", err, want, tt.wantIs)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("the error shows a token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i].Source = strings.ReplaceAll(tt.want[i].Source, "DIR", dir)
			}
			if !reflect.DeepEqual(views(got), tt.want) {
				t.Errorf("webhooks %v\nwant     %v", views(got), tt.want)
			}
			if tt.wantToken != "" && got[len(got)-1].Token != tt.wantToken {
				t.Error("the last webhook does not have the expected token")
			}
			for _, h := range got {
				if h.Created {
					t.Errorf("webhook %q was generated although a token was configured", h.Name)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestGeneratedToken generates a token where none is configured, keeps it with
// mode 0600 in a folder it creates, and reads the same one back after.
func TestGeneratedToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	src := TokenSources{Dir: dir, Generate: true}
	first, err := Webhooks(Default(), src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, GeneratedTokenFile)
	if len(first) != 1 || !first[0].Created || first[0].Name != GeneratedWebhook || first[0].Source != "generated file "+path {
		t.Fatalf("first start: %v, want one webhook generated now from %s", first, path)
	}
	if err := ValidateToken(first[0].Token); err != nil || len(first[0].Token) < 32 {
		t.Fatalf("generated token of %d characters: %v", len(first[0].Token), err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := Webhooks(Default(), src)
	if err != nil || len(again) != 1 || again[0].Created || again[0].Token != first[0].Token {
		t.Fatalf("second start: %v, %v; want the same token, not generated again", again, err)
	}
}
