// Package openinghours says whether a location is open at an instant, from the opening
// hours and closing dates of the config file, read in the location's IANA time zone.
//
// Hours are given per day key: a day (mon .. sun), a range of days (mon-fri, and
// fri-mon wraps over the weekend), or a comma list of both (mon,wed-fri). A day's value
// is one or several ranges "HH:MM-HH:MM", or "closed". A range whose end is at or before
// its start crosses midnight and belongs to the day it starts on: "sat: 14:00-02:00" is
// open from Saturday 14:00 to Sunday 02:00, and "10:00-10:00" is open 24 hours. 24:00 is
// allowed as an end. Days that no key names are closed; a location with no hours at all
// has no restriction and is open all the time (as if its hours were mon-sun 00:00-24:00).
// A date of closed_on, in the location's own calendar, closes the ranges that start on
// that date, including their part after midnight; the tail of the previous night's range
// still counts.
//
// Daylight-saving changes are read the way a person reads the door sign with the
// location's wall clock: a range opens at the first instant the wall clock reads its
// start or later, and closes at the first instant it reads its end or later. So a start
// that falls in a spring-forward gap opens at the first instant after the gap (a sign
// "02:30-..." in New York opens at 03:00 EDT), an end in the gap closes there, and in a
// fall-back night the repeated hour counts once: a range spanning it stays open through
// both passes (and is an hour longer in real time), while a start or end that falls in it
// takes effect at its first reading and is not undone when the clocks go back. Outside
// those two nights, a location is open exactly when its wall clock reads a time between
// the start and end of one of its ranges.
//
// Time zone data is embedded (time/tzdata), so the answers do not depend on the
// zoneinfo files of the machine or container.
package openinghours

import (
	"slices"
	"time"

	// The exporter runs in scratch containers that have no zoneinfo.
	_ "time/tzdata"
)

// Spec is the raw opening hours of one location, as written in the config file.
type Spec struct {
	// Timezone is an IANA time zone name; empty means UTC.
	Timezone string
	// Hours maps day keys (mon, mon-fri, sat,sun) to ranges "HH:MM-HH:MM" or "closed".
	// Nil means no restriction: open all the time.
	Hours map[string][]string
	// ClosedOn lists dates (YYYY-MM-DD) on which the location stays closed.
	ClosedOn []string
}

// minutesPerDay and minutesPerWeek bound the minutes of a span.
const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
)

// span is an opening range of one day, in minutes after that day's midnight: end is
// after start and at most a day after it, so an end past minutesPerDay is on the next day.
type span struct {
	start, end int
}

// Schedule answers whether a location is open. It is immutable, and safe for
// concurrent use.
type Schedule struct {
	loc    *time.Location
	week   [7][]span      // by time.Weekday
	closed map[int64]bool // closed_on dates, as days since the Unix epoch
}

// Parse checks spec and returns its schedule. Its error is an *Error listing every
// problem found.
func Parse(spec Spec) (*Schedule, error) {
	p := &parser{}
	s := &Schedule{loc: p.timezone(spec.Timezone), closed: p.closedOn(spec.ClosedOn)}
	if spec.Hours == nil {
		for d := range s.week {
			s.week[d] = []span{{0, minutesPerDay}}
		}
	} else {
		s.week = p.hours(spec.Hours)
	}
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return s, nil
}

// Location returns the time zone the hours are read in.
func (s *Schedule) Location() *time.Location { return s.loc }

// Open reports whether the location is open at instant t.
func (s *Schedule) Open(t time.Time) bool {
	local := t.In(s.loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	// Yesterday's ranges may run past midnight; tomorrow's may already have started when
	// a fall-back across midnight shows today's date again.
	for _, day := range []time.Time{today.AddDate(0, 0, -1), today, today.AddDate(0, 0, 1)} {
		if s.closed[epochDay(day)] {
			continue
		}
		for _, sp := range s.week[day.Weekday()] {
			if !t.Before(s.firstReading(day, sp.start)) && t.Before(s.firstReading(day, sp.end)) {
				return true
			}
		}
	}
	return false
}

// epochDay numbers a civil date held as midnight UTC.
func epochDay(day time.Time) int64 { return day.Unix() / (24 * 60 * 60) }

// firstReading returns the first instant at which the location's wall clock reads the
// given minute after day's midnight, or later.
func (s *Schedule) firstReading(day time.Time, minute int) time.Time {
	return FirstReading(s.loc, day.Add(time.Duration(minute)*time.Minute))
}

// FirstReading returns the first instant at which loc's wall clock reads wall, or later:
// in a fall-back, the first of the two instants; in a spring-forward gap, the instant the
// gap ends. wall is a wall clock reading held in UTC (its date and clock, to the
// nanosecond, are what count). Opening hours and the times of SynthesisVR's API, which
// carry no offset, are both read this way.
func FirstReading(loc *time.Location, wall time.Time) time.Time {
	// A wall reading maps to at most two instants, whose offsets are those of the zone
	// period that time.Date picks and of its neighbours.
	c := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), loc)
	start, end := c.ZoneBounds()
	probes := [3]time.Time{c, c, c} // an array, so that probing allocates nothing
	if !start.IsZero() {
		probes[1] = start.Add(-time.Nanosecond)
	}
	if !end.IsZero() {
		probes[2] = end
	}
	var first time.Time
	found := false
	for _, p := range probes {
		_, offset := p.Zone()
		t := wall.Add(-time.Duration(offset) * time.Second)
		if wallClock(loc, t).Equal(wall) && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	if found {
		return first
	}
	// The reading falls in a gap, which ends where c's zone period starts when c reads
	// after the gap, and where it ends otherwise.
	if wallClock(loc, c).After(wall) {
		return start
	}
	return end
}

// wallClock returns what loc's clock reads at t, as a time in UTC.
func wallClock(loc *time.Location, t time.Time) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// In returns the same hours and closing dates read in the time zone loc: the same door
// sign hung at a location elsewhere. The simulator runs one sign at venues in several
// zones, Local included, which a Spec refuses.
func (s *Schedule) In(loc *time.Location) *Schedule {
	c := *s
	c.loc = loc
	return &c
}

// bound is an instant where a range starts or ends.
type bound struct {
	at    time.Time
	start bool
}

// changeHorizon bounds how far NextChange looks: a year and a week covers every
// weekday and a year of closed_on dates.
const changeHorizon = 366 + 7

// NextChange returns the first instant after t at which Open's answer differs from
// Open(t): when the location closes if it is open at t, or opens if it is closed. It
// returns false when the answer does not change within a year, as for a location that
// is always open or never.
func (s *Schedule) NextChange(t time.Time) (time.Time, bool) {
	now := s.Open(t)
	local := t.In(s.loc)
	// The day before: its ranges may run past t's midnight.
	first := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	// A week at a time: the bounds of the ranges that start on days [from, to) are
	// all of the bounds up to the first reading of day to's midnight, as a range ends
	// less than two days after its day's midnight.
	for from := 0; from < changeHorizon; from += 7 {
		to := first.AddDate(0, 0, from+8)
		cutoff := s.firstReading(to, 0)
		var bounds []bound
		for d := first.AddDate(0, 0, from-1); d.Before(to); d = d.AddDate(0, 0, 1) {
			if s.closed[epochDay(d)] {
				continue
			}
			for _, sp := range s.week[d.Weekday()] {
				bounds = append(bounds, bound{s.firstReading(d, sp.start), true}, bound{s.firstReading(d, sp.end), false})
			}
		}
		slices.SortFunc(bounds, func(a, b bound) int { return a.at.Compare(b.at) })
		for i := 0; i < len(bounds); {
			b, starts, ends := bounds[i].at, false, false
			for ; i < len(bounds) && bounds[i].at.Equal(b); i++ {
				starts, ends = starts || bounds[i].start, ends || !bounds[i].start
			}
			// Where one range ends as another starts nothing changes, and Open need
			// not be asked (a location open every day from 00:00 to 24:00 has only such).
			if b.After(t) && !b.After(cutoff) && !(starts && ends) && s.Open(b) != now {
				return b, true
			}
		}
	}
	return time.Time{}, false
}
