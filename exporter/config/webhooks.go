package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvToken is the environment variable that may hold a webhook token, added to the
// webhooks of the config file.
const EnvToken = "SYNTHESISVR_WEBHOOK_TOKEN"

// GeneratedTokenFile is the file, in the bolt file's folder, that keeps a generated token.
const GeneratedTokenFile = "webhook-token"

// Names of the webhooks whose token does not come from the config file.
const (
	EnvWebhook       = "environment"
	GeneratedWebhook = "generated"
)

// ErrNoToken is returned by Webhooks when no token is configured anywhere and none
// may be generated.
var ErrNoToken = errors.New("no webhook token is configured")

// TokenSources are the places besides the config file that webhook tokens come from.
type TokenSources struct {
	// Env is the value of EnvToken; EnvSet reports whether it is set at all, since
	// set and empty is a mistake to report, not an absence.
	Env    string
	EnvSet bool
	// Dir is the folder of GeneratedTokenFile: the bolt file's.
	Dir string
	// Generate allows the generated token: kept in Dir and, when no token is
	// configured anywhere, made there. Replicas, which must share one token, cannot.
	Generate bool
}

// Webhooks decides which webhooks are active, with where each token came from,
// in the order tokens are matched:
//
//  1. the webhooks of the config file;
//  2. the token of the environment (EnvToken), as webhook "environment";
//  3. the token generated on an earlier start, as webhook "generated", unless the
//     config file says generated_token: false or another webhook has the same
//     token: configuring webhooks later must not break the URL already given to
//     SynthesisVR;
//  4. with no token from any of them, a token generated now (Created is set).
//
// Errors name the variable or file at fault, never a token.
func Webhooks(cfg *Config, src TokenSources) ([]Webhook, error) {
	hooks := make([]Webhook, 0, len(cfg.Webhooks)+2)
	for _, w := range cfg.Webhooks {
		w.Source = "config token"
		if w.TokenFile != "" {
			w.Source = "token_file " + w.TokenFile
		}
		hooks = append(hooks, w)
	}
	if src.EnvSet {
		if err := ValidateToken(src.Env); err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", EnvToken, err)
		}
		hooks = append(hooks, Webhook{Name: EnvWebhook, Token: src.Env, Source: "environment " + EnvToken})
	}
	if !src.Generate {
		if len(hooks) == 0 {
			return nil, ErrNoToken
		}
		return hooks, nil
	}
	path := filepath.Join(src.Dir, GeneratedTokenFile)
	if cfg.GeneratedToken {
		gen, ok, err := readGenerated(path)
		if err != nil {
			return nil, err
		}
		if ok && !hasToken(hooks, gen.Token) {
			hooks = append(hooks, gen)
		}
	}
	if len(hooks) > 0 {
		return hooks, nil
	}
	if !cfg.GeneratedToken {
		return nil, fmt.Errorf("no webhook token is configured, and the config file says generated_token: false: configure webhooks in it, or set %s", EnvToken)
	}
	gen, err := generate(path)
	if err != nil {
		return nil, fmt.Errorf("no webhook token is configured, and keeping a generated one failed: %w", err)
	}
	return []Webhook{gen}, nil
}

func hasToken(hooks []Webhook, token string) bool {
	for _, h := range hooks {
		if h.Token == token {
			return true
		}
	}
	return false
}

// readGenerated reads the generated token kept at path; ok is false when there is none.
func readGenerated(path string) (w Webhook, ok bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return Webhook{}, false, nil
	}
	token, exposed, err := readTokenFile(path)
	if err != nil {
		return Webhook{}, false, fmt.Errorf("generated webhook token file %s: %w; delete the file (a new token is generated when none is configured) or set generated_token: false in the config file", path, err)
	}
	return Webhook{Name: GeneratedWebhook, Token: token, TokenFile: path, Source: "generated file " + path, Exposed: exposed}, true, nil
}

// generate makes a random token and keeps it at path, mode 0600; when another
// process made the file first, its token is used.
func generate(path string) (Webhook, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return Webhook{}, fmt.Errorf("create the folder of %s: %w", path, err)
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw) // crypto/rand never fails on Linux
	token := hex.EncodeToString(raw)
	// O_EXCL: two exporters starting at once on one folder must not each keep a different token.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		w, _, err := readGenerated(path)
		return w, err
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return Webhook{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return Webhook{}, fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return Webhook{}, fmt.Errorf("close %s: %w", path, err)
	}
	return Webhook{Name: GeneratedWebhook, Token: token, TokenFile: path, Source: "generated file " + path, Created: true}, nil
}
