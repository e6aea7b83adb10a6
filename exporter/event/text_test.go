package event

import (
	"strings"
	"testing"
)

func TestSanitizeLocation(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"plain":                     {"Kamen Test", "Kamen Test"},
		"surrounding white space":   {" \t Kamen Test\u00a0\n", "Kamen Test"},
		"control characters":        {"Ka\x00men\x1b[31m Test\x7f\u0085", "Kamen[31m Test"},
		"invalid UTF-8":             {"Ka\xffmen\xc3 Test", "Kamen Test"},
		"format characters":         {"\u202eDown\u200btown\ufeff\u2066", "Downtown"},
		"only format characters":    {"\u200b\u202e", "unknown"},
		"empty":                     {"", "unknown"},
		"only white space":          {" \t\r\n", "unknown"},
		"only control characters":   {"\x01\x02", "unknown"},
		"exactly 128 bytes":         {strings.Repeat("a", 128), strings.Repeat("a", 128)},
		"over 128 ASCII bytes":      {strings.Repeat("a", 200), strings.Repeat("a", 128)},
		"cut inside a 2-byte rune":  {"a" + strings.Repeat("é", 100), "a" + strings.Repeat("é", 63)},
		"cut inside a 4-byte rune":  {strings.Repeat("😀", 40), strings.Repeat("😀", 32)},
		"cut exposes white space":   {strings.Repeat("a", 127) + " b", strings.Repeat("a", 127)},
		"leading space not counted": {"   " + strings.Repeat("a", 130), strings.Repeat("a", 128)},
		"unicode kept":              {"София “VR” ☃", "София “VR” ☃"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := SanitizeLocation(tc.in); got != tc.want {
				t.Errorf("SanitizeLocation(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseInteger(t *testing.T) {
	const maxInt64 = 1<<63 - 1
	tests := map[string]struct {
		in     string
		limit  uint64
		want   uint64
		wantOK bool
	}{
		"zero":                     {"0", 10, 0, true},
		"negative zero":            {"-0.0", 10, 0, true},
		"zero with huge exponent":  {"0e99999999999999999999", 10, 0, true},
		"plus sign":                {"+7", 10, 7, true},
		"leading zeros":            {"0007", 10, 7, true},
		"integral float":           {"2.000", 10, 2, true},
		"exponent":                 {"1e4", 10000, 10000, true},
		"negative exponent":        {"1500e-2", 100, 15, true},
		"fraction":                 {"1.5", 10, 0, false},
		"tiny fraction":            {"1.0000000000000000000001", 10, 0, false},
		"over the limit":           {"11", 10, 0, false},
		"negative":                 {"-1", 10, 0, false},
		"max int64":                {"9223372036854775807", maxInt64, maxInt64, true},
		"max int64 as float":       {"9.223372036854775807e18", maxInt64, maxInt64, true},
		"over int64":               {"9223372036854775808", maxInt64, 0, false},
		"over uint64":              {"18446744073709551616", 1<<64 - 1, 0, false},
		"many digits":              {strings.Repeat("1", 30), 1<<64 - 1, 0, false},
		"huge exponent":            {"1e99999999999999999999", 1<<64 - 1, 0, false},
		"huge negative exponent":   {"1e-99999999999999999999", 10, 0, false},
		"empty":                    {"", 10, 0, false},
		"sign only":                {"-", 10, 0, false},
		"dot without digits":       {"1.", 10, 0, false},
		"dot first":                {".5", 10, 0, false},
		"exponent without digits":  {"1e", 10, 0, false},
		"hexadecimal":              {"0x10", 100, 0, false},
		"underscore":               {"1_000", 10000, 0, false},
		"inner space":              {"1 0", 100, 0, false},
		"word":                     {"true", 10, 0, false},
		"exponent with plus sign":  {"1E+2", 100, 100, true},
		"double sign":              {"--1", 10, 0, false},
		"trailing zeros and limit": {"10000.000e0", 10000, 10000, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := parseInteger(tc.in, tc.limit)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("parseInteger(%q, %d) = %d, %v; want %d, %v", tc.in, tc.limit, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
