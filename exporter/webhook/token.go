package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TokenFileName is the file, beside the bolt file, that keeps a generated token.
const TokenFileName = "webhook-token"

// LoadOrCreateToken returns the token kept in dir, generating and keeping a new
// random one on first use. created reports that it was generated now, so the
// caller can show it once.
func LoadOrCreateToken(dir string) (token string, created bool, err error) {
	path := filepath.Join(dir, TokenFileName)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", false, fmt.Errorf("token file %s is empty: delete it to have a new token generated", path)
		}
		return token, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", false, fmt.Errorf("read token file: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", false, fmt.Errorf("create the folder of the token file: %w", err)
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw) // crypto/rand never fails on Linux
	token = hex.EncodeToString(raw)
	// O_EXCL: two exporters starting at once on one folder must not each keep a different token.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("create token file: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write token file %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", false, fmt.Errorf("sync token file %s: %w", path, err)
	}
	return token, true, f.Close()
}
