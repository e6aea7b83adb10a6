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

// resolveSecretFile says where a token_file or api_key_file is read from. An
// absolute path is taken as is. A relative one is looked up first in
// $CREDENTIALS_DIRECTORY, when that is set and the file is there, so that a systemd
// unit can pass the secret with LoadCredential= (readable by the service alone,
// whatever its user); else it is relative to the config file's folder, dir. Only a
// name inside the folder (no "..") is looked up among the credentials.
func resolveSecretFile(dir, credentials, path string) string {
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

// readTokenFile returns the token kept in the file at path, and whether the file is
// readable by its group or others (see readSecretFile).
func readTokenFile(path string) (token string, exposed bool, err error) {
	return readSecretFile(path, maxTokenFileBytes, "a token file holds only the token",
		"write a token into it, e.g. with: openssl rand -hex 16", func(token string) error {
			if err := ValidateToken(token); err != nil {
				return fmt.Errorf("the file's %w", err)
			}
			return nil
		})
}

// readSecretFile returns the content of the secret file at path, trimmed of surrounding
// white space and checked by validate, and whether the file is readable by its group
// or others. A file over limit bytes is refused (what says what the file holds), and
// an empty one told how to fill it (fill). Its errors never include the content, nor
// the path, which the caller's field and line name.
func readSecretFile(path string, limit int, what, fill string, validate func(string) error) (secret string, exposed bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, fileError(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		exposed = fi.Mode().Perm()&0o077 != 0
	}
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return "", false, fileError(err)
	}
	if len(data) > limit {
		return "", false, fmt.Errorf("the file is larger than %d KiB; %s", limit>>10, what)
	}
	secret = strings.TrimSpace(string(data))
	if secret == "" {
		return "", false, errors.New("the file is empty; " + fill)
	}
	if err := validate(secret); err != nil {
		return "", false, err
	}
	return secret, exposed, nil
}

// fileError drops the operation and path that os errors repeat.
func fileError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read the file: %v", err)
}
