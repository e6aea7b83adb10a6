package simulator

import (
	"fmt"
	"strings"
	"time"
)

// Hours is a daily opening window in a location's time zone, the same every day: a
// demo's simple stand-in for the exporter's opening hours. A window whose close is
// not after its open crosses midnight ("18:00-02:00"); "00:00-24:00" is always open.
type Hours struct {
	Open, Close time.Duration // since midnight
}

// ParseHours reads "HH:MM-HH:MM".
func ParseHours(s string) (Hours, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Hours{}, fmt.Errorf("opening hours %q: want HH:MM-HH:MM, e.g. 10:00-22:00", s)
	}
	open, err := clock(from)
	if err != nil {
		return Hours{}, fmt.Errorf("opening hours %q: %w", s, err)
	}
	closing, err := clock(to)
	if err != nil {
		return Hours{}, fmt.Errorf("opening hours %q: %w", s, err)
	}
	if open == 24*time.Hour {
		return Hours{}, fmt.Errorf("opening hours %q: a day opens at 23:59 at the latest", s)
	}
	if open == closing {
		return Hours{}, fmt.Errorf("opening hours %q: opens and closes at the same time; write 00:00-24:00 for always open", s)
	}
	return Hours{Open: open, Close: closing}, nil
}

func clock(s string) (time.Duration, error) {
	var h, m int
	if n, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil || n != 2 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (00:00 to 24:00)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// String formats the window as ParseHours reads it.
func (h Hours) String() string {
	f := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return f(h.Open) + "-" + f(h.Close)
}

// periods returns the open periods that touch the local day of t (which may start
// the day before, for a window across midnight), in order.
func (h Hours) periods(t time.Time) [][2]time.Time {
	y, mo, d := t.Date()
	var out [][2]time.Time
	for _, day := range []int{d - 1, d, d + 1} {
		// time.Date normalises days out of range and follows DST changes.
		midnight := time.Date(y, mo, day, 0, 0, 0, 0, t.Location())
		open := at(midnight, h.Open)
		closing := at(midnight, h.Close)
		if h.Close <= h.Open {
			closing = at(time.Date(y, mo, day+1, 0, 0, 0, 0, t.Location()), h.Close)
		}
		out = append(out, [2]time.Time{open, closing})
	}
	return out
}

// at is midnight plus a wall-clock offset, taken as hours and minutes so that a DST
// day still opens at its written time.
func at(midnight time.Time, d time.Duration) time.Time {
	y, mo, day := midnight.Date()
	return time.Date(y, mo, day, int(d/time.Hour), int(d%time.Hour/time.Minute), 0, 0, midnight.Location())
}

// OpenAt reports whether t falls in an open period, and when that period closes.
func (h Hours) OpenAt(t time.Time) (bool, time.Time) {
	for _, p := range h.periods(t) {
		if !t.Before(p[0]) && t.Before(p[1]) {
			return true, p[1]
		}
	}
	return false, time.Time{}
}

// NextOpen returns t if the location is open then, or else when it next opens.
func (h Hours) NextOpen(t time.Time) time.Time {
	if open, _ := h.OpenAt(t); open {
		return t
	}
	for _, p := range append(h.periods(t), h.periods(t.AddDate(0, 0, 1))...) {
		if !p[0].Before(t) {
			return p[0]
		}
	}
	return t.AddDate(0, 0, 1) // unreachable with a valid window
}

// Advance moves t on by gap counted in open time only: the time a Poisson process
// that runs during opening hours takes to cover gap.
func (h Hours) Advance(t time.Time, gap time.Duration) time.Time {
	for range 1000 {
		t = h.NextOpen(t)
		_, closing := h.OpenAt(t)
		if left := closing.Sub(t); gap < left {
			return t.Add(gap)
		} else {
			gap -= left
			t = closing
		}
	}
	return t
}
