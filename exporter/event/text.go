package event

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEcho bounds how much of a body a message repeats, so a hostile body cannot flood
// logs or answers.
const maxEcho = 64

// SanitizeLocation removes control characters, format characters (Unicode category
// Cf, such as U+202E right-to-left override or U+200B zero width space) and invalid
// UTF-8, trims surrounding white space, cuts the result to at most 128 bytes on a
// rune boundary, and returns "unknown" for an empty result. Without format
// characters, two labels that look alike are alike, and a log line reads as stored.
func SanitizeLocation(s string) string {
	s = strings.TrimSpace(removeControl(s))
	// Cutting may expose white space that was inside the title.
	s = strings.TrimRightFunc(cut(s, MaxLocationBytes), unicode.IsSpace)
	if s == "" {
		return UnknownLocation
	}
	return s
}

// removeControl drops control and format characters and bytes that are not UTF-8.
func removeControl(s string) string {
	if isPlainASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(r == utf8.RuneError && size == 1) && !Invisible(r) {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Invisible reports whether r is a control character or a format character
// (category Cf), which a location name must not hold.
func Invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// cut returns at most n bytes of s, ending on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// decodeString decodes a JSON string value; ok is false for any other JSON value.
func decodeString(raw []byte) (string, bool) {
	var s string
	// null would decode into s without an error, leaving it empty.
	if firstByte(raw) != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// decodeText decodes a JSON string meant as text. encoding/json would turn bytes that are
// not UTF-8 into U+FFFD; they are dropped instead, as SanitizeLocation drops them.
func decodeText(raw []byte) (string, bool) {
	if !utf8.Valid(raw) {
		raw = bytes.ToValidUTF8(raw, nil)
	}
	return decodeString(raw)
}

// describe shows a JSON value in a message, cut to maxEcho bytes of input.
func describe(raw []byte) string {
	raw = bytes.TrimRight(raw, " \t\r\n")
	switch firstByte(raw) {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		if s, ok := decodeString(raw); ok {
			return quote(s)
		}
	}
	if len(raw) > maxEcho {
		return string(raw[:maxEcho]) + "…"
	}
	return string(raw)
}

// quote quotes s for a message, cut to maxEcho bytes.
func quote(s string) string {
	if len(s) <= maxEcho {
		return strconv.Quote(s)
	}
	return strconv.Quote(cut(s, maxEcho)) + "…"
}
