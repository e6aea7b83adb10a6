package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TokenRules describes what makes a token acceptable, for messages that explain a rejection.
const TokenRules = "at least 16 characters, only A-Z a-z 0-9 . _ ~ - (they go in the URL path); generate one with: openssl rand -hex 16"

// MinTokenLength is the shortest token accepted; shorter ones could be guessed.
const MinTokenLength = 16

// Errors of ValidateToken; they never contain the token.
var (
	ErrTokenTooShort = errors.New("token is too short: " + TokenRules)
	ErrTokenChars    = errors.New("token has a character that is not allowed: " + TokenRules)
)

// maxTokenFileBytes bounds what is read from a token file, so that pointing token_file at
// a large file by mistake fails fast.
const maxTokenFileBytes = 64 << 10

// ValidateToken reports whether token is acceptable as a webhook token (see TokenRules).
// The error never contains the token. It is also used for the SYNTHESISVR_WEBHOOK_TOKEN
// environment variable.
func ValidateToken(token string) error {
	if len(token) < MinTokenLength {
		return ErrTokenTooShort
	}
	if strings.ContainsFunc(token, func(r rune) bool { return !tokenChar(r) }) {
		return ErrTokenChars
	}
	return nil
}

// tokenChar reports whether r may appear in a URL path segment unescaped (RFC 3986 unreserved).
func tokenChar(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		r == '.' || r == '_' || r == '~' || r == '-'
}

// CredentialsDirectoryEnv is the variable systemd sets, for a unit with
// LoadCredential=, to the private folder that holds the unit's credentials.
const CredentialsDirectoryEnv = "CREDENTIALS_DIRECTORY"

// resolveTokenFile says where a token_file is read from. An absolute path is taken
// as is. A relative one is looked up first in $CREDENTIALS_DIRECTORY, when that is
// set and the file is there, so that a systemd unit can pass the token with
// LoadCredential= (readable by the service alone, whatever its user); else it is
// relative to the config file's folder, dir. Only a name inside the folder (no
// "..") is looked up among the credentials.
func resolveTokenFile(dir, credentials, path string) string {
	if credentials != "" && filepath.IsLocal(path) {
		cred := filepath.Join(credentials, path)
		if _, err := os.Stat(cred); err == nil {
			return cred
		}
	}
	return resolve(dir, path)
}

// resolve makes a relative path relative to dir, the config file's directory, so that the
// config works from any working directory.
func resolve(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}

// readTokenFile returns the file's content trimmed of surrounding white space. Its errors
// name the file but never include its content.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fileError(path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFileBytes+1))
	if err != nil {
		return "", fileError(path, err)
	}
	if len(data) > maxTokenFileBytes {
		return "", fmt.Errorf("file %q is larger than %d KiB; a token file holds only the token", path, maxTokenFileBytes>>10)
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", fmt.Errorf("file %q is empty; write a token into it, e.g. openssl rand -hex 16 > %s", path, path)
	}
	if err := ValidateToken(token); err != nil {
		return "", fmt.Errorf("file %q: %w", path, err)
	}
	return token, nil
}

// fileError drops the operation and path that os errors repeat.
func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read file %q: %v", path, err)
}
