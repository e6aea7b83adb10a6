package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTokenFileFromCredentialsDirectory checks the rule for a relative token_file:
// $CREDENTIALS_DIRECTORY first when it is set and holds the file, the config file's
// folder otherwise; an absolute path and a name leaving the folder are never looked
// up among the credentials.
func TestTokenFileFromCredentialsDirectory(t *testing.T) {
	confDir := tokenDir(t) // good.token holds secret
	creds := t.TempDir()
	writeFile(t, creds, "good.token", otherSecret)
	writeFile(t, creds, "only-here.token", otherSecret)

	tests := map[string]struct {
		credentials string // "" leaves CREDENTIALS_DIRECTORY unset
		tokenFile   string
		wantFile    string
		wantToken   string
	}{
		"credential wins over the config folder": {creds, "good.token", filepath.Join(creds, "good.token"), otherSecret},
		"only among the credentials":             {creds, "only-here.token", filepath.Join(creds, "only-here.token"), otherSecret},
		"not a credential: the config folder":    {creds, "lines.token", "", ""},
		"no credentials: the config folder":      {"", "good.token", filepath.Join(confDir, "good.token"), secret},
		"absolute stays absolute":                {creds, filepath.Join(confDir, "good.token"), filepath.Join(confDir, "good.token"), secret},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.credentials != "" {
				t.Setenv(CredentialsDirectoryEnv, tc.credentials)
			} else {
				os.Unsetenv(CredentialsDirectoryEnv)
			}
			yaml := lines("webhooks:", "  - name: a", "    token_file: "+tc.tokenFile)
			cfg, err := Parse("config.yml", confDir, []byte(yaml))
			if tc.wantFile == "" {
				// lines.token in the config folder holds two tokens.
				if err == nil {
					t.Fatalf("token_file %s was read from %s, want it refused", tc.tokenFile, cfg.Webhooks[0].TokenFile)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := cfg.Webhooks[0]
			if w.TokenFile != tc.wantFile || w.Token != tc.wantToken {
				t.Errorf("token_file %s: read %s, want %s (token from the right file: %v)", tc.tokenFile, w.TokenFile, tc.wantFile, w.Token == tc.wantToken)
			}
		})
	}
}

// TestTokenFileLeavingCredentialsIsNotACredential: "../name" is never looked up
// beside the credentials folder, even when a file is there.
func TestTokenFileLeavingCredentialsIsNotACredential(t *testing.T) {
	parent, confDir := t.TempDir(), t.TempDir()
	creds := filepath.Join(parent, "creds")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, parent, "x.token", secret)
	if got, want := resolveSecretFile(confDir, creds, "../x.token"), filepath.Join(confDir, "../x.token"); got != want {
		t.Errorf("../x.token resolves to %s, want %s (relative to the config folder)", got, want)
	}
}

// TestAPIKeyFileFromCredentialsDirectory: api_key_file follows token_file's rule.
func TestAPIKeyFileFromCredentialsDirectory(t *testing.T) {
	confDir, creds := t.TempDir(), t.TempDir()
	writeFile(t, confDir, "api.key", apiKey)
	writeFile(t, creds, "api.key", apiKey+"c")
	t.Setenv(CredentialsDirectoryEnv, creds)
	c, err := Parse("config.yml", confDir, []byte(lines("locations:", "  - name: A", "    api_key_file: api.key")))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Locations[0]; l.APIKeyFile != filepath.Join(creds, "api.key") || l.APIKey != apiKey+"c" {
		t.Errorf("api_key_file read from %s, want %s", l.APIKeyFile, filepath.Join(creds, "api.key"))
	}
}
