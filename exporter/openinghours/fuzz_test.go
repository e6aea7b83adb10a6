package openinghours_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// FuzzOpeningHours feeds Parse every spec of the package's tests and mutations of
// them. A spec travels as text: hours are lines "key=range|range", dates are
// separated by "|". Parse must not panic and must answer the same twice; an error
// is an *Error whose problems name a field of the spec; a schedule answers Open
// at every hour of a week around both daylight-saving changes of its zone.
func FuzzOpeningHours(f *testing.F) {
	for _, tc := range parseErrorCases() {
		addSpec(f, tc.spec)
	}
	for _, spec := range validShapes() {
		addSpec(f, spec)
	}
	addSpec(f, downtown)
	f.Fuzz(func(t *testing.T, tz, hours, closed string) {
		spec := specOf(tz, hours, closed)
		s, err := openinghours.Parse(spec)
		_, again := openinghours.Parse(spec)
		if (err == nil) != (again == nil) || (err != nil && err.Error() != again.Error()) {
			t.Fatalf("Parse is not deterministic: %v, then %v", err, again)
		}
		if err != nil {
			checkProblems(t, spec, err)
			return
		}
		for _, start := range []string{"2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z"} {
			t0, _ := time.Parse(time.RFC3339, start)
			for h := range 7 * 24 * 4 {
				s.Open(t0.Add(time.Duration(h) * 15 * time.Minute))
			}
		}
	})
}

func addSpec(f *testing.F, s openinghours.Spec) {
	tz, hours, closed := specText(s)
	f.Add(tz, hours, closed)
}

// specText is the fuzz arguments of a spec.
func specText(s openinghours.Spec) (tz, hours, closed string) {
	keys := make([]string, 0, len(s.Hours))
	for k := range s.Hours {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + strings.Join(s.Hours[k], "|")
	}
	return s.Timezone, strings.Join(lines, "\n"), strings.Join(s.ClosedOn, "|")
}

// specOf is the spec of fuzz arguments; empty hours text means no hours at all.
func specOf(tz, hours, closed string) openinghours.Spec {
	s := openinghours.Spec{Timezone: tz}
	if hours != "" {
		s.Hours = map[string][]string{}
		for _, line := range strings.Split(hours, "\n") {
			k, v, _ := strings.Cut(line, "=")
			s.Hours[k] = nil
			if v != "" {
				s.Hours[k] = strings.Split(v, "|")
			}
		}
	}
	if closed != "" {
		s.ClosedOn = strings.Split(closed, "|")
	}
	return s
}

func checkProblems(t *testing.T, spec openinghours.Spec, err error) {
	var e *openinghours.Error
	if !errors.As(err, &e) || len(e.Problems) == 0 {
		t.Fatalf("Parse error %T %q is not an *Error with problems", err, err)
	}
	for _, p := range e.Problems {
		ok := p.Message != "" && utf8.ValidString(p.Message)
		switch p.Field {
		case openinghours.FieldTimezone:
		case openinghours.FieldClosedOn:
			ok = ok && p.Index >= 0 && p.Index < len(spec.ClosedOn)
		case openinghours.FieldHours:
			_, named := spec.Hours[p.Key]
			ok = ok && named && p.Index < len(spec.Hours[p.Key])
		default:
			ok = false
		}
		if !ok {
			t.Fatalf("problem %+v does not name a field of %+v", p, spec)
		}
	}
}
