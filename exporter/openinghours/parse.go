package openinghours

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// dayNames are the day keys, indexed by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

const (
	closedWord = "closed"
	rangeHint  = `write "HH:MM-HH:MM" such as "10:00-22:00", or "closed"`
	dayHint    = "days are mon, tue, wed, thu, fri, sat and sun, with ranges such as mon-fri and lists such as mon,wed-fri"
)

// parser collects the problems of one Spec, one for each field at most.
type parser struct {
	problems []Problem
	seen     map[string]bool
}

func (p *parser) add(field, key string, index int, format string, args ...any) {
	pr := Problem{Field: field, Key: key, Index: index, Message: fmt.Sprintf(format, args...)}
	if p.seen[pr.Path()] {
		return
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	p.seen[pr.Path()] = true
	p.problems = append(p.problems, pr)
}

// timezone loads tz, refusing Local, which would make the hours depend on the machine.
func (p *parser) timezone(tz string) *time.Location {
	if tz == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "Local" {
		p.add(FieldTimezone, "", -1, "unknown time zone %q; use an IANA name such as Europe/Sofia or UTC, or leave it out for UTC", tz)
		return time.UTC
	}
	return loc
}

func (p *parser) closedOn(dates []string) map[int64]bool {
	closed := map[int64]bool{}
	for i, d := range dates {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(d))
		if err != nil {
			p.add(FieldClosedOn, "", i, "must be a date YYYY-MM-DD such as 2026-12-25, got %q", d)
			continue
		}
		closed[epochDay(t)] = true
	}
	return closed
}

// declared is one range of one day, with where it was written.
type declared struct {
	key   string
	index int
	text  string
	day   time.Weekday
	span  span
}

func (d declared) path() string {
	return Problem{Field: FieldHours, Key: d.key, Index: d.index}.Path()
}

// week returns where the span lies in a week that starts on Sunday at 00:00.
func (d declared) week() (start, end int) {
	base := int(d.day) * minutesPerDay
	return base + d.span.start, base + d.span.end
}

// hours parses every day key and its ranges, then checks that no ranges overlap and that
// no day is both closed and open.
func (p *parser) hours(h map[string][]string) [7][]span {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys) // problems come out in the same order every time
	var all []declared
	closedBy := map[time.Weekday]string{}
	for _, key := range keys {
		days, okDays := p.days(key)
		spans, texts, closed := p.ranges(key, h[key])
		if !okDays {
			continue
		}
		for _, d := range days {
			if closed {
				closedBy[d] = key
			}
			for i, sp := range spans {
				if texts[i] != "" {
					all = append(all, declared{key: key, index: i, text: texts[i], day: d, span: sp})
				}
			}
		}
	}
	p.closedAndOpen(all, closedBy)
	p.overlaps(all)
	var week [7][]span
	for _, d := range all {
		week[d.day] = append(week[d.day], d.span)
	}
	return week
}

// days parses a day key such as mon, mon-fri, fri-mon or mon,wed-fri.
func (p *parser) days(key string) ([]time.Weekday, bool) {
	var days []time.Weekday
	for _, part := range strings.Split(key, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		from, to, isRange := strings.Cut(part, "-")
		if !isRange {
			to = from
		}
		a, okA := weekday(from)
		b, okB := weekday(to)
		if !okA || !okB {
			p.add(FieldHours, key, -1, "unknown day %q; %s", part, dayHint)
			return nil, false
		}
		for d := a; ; d = (d + 1) % 7 {
			if slices.Contains(days, d) {
				p.add(FieldHours, key, -1, "%s is named twice in %q; name each day once", dayNames[d], key)
				return nil, false
			}
			days = append(days, d)
			if d == b {
				break
			}
		}
	}
	return days, true
}

func weekday(name string) (time.Weekday, bool) {
	i := slices.Index(dayNames[:], strings.TrimSpace(name))
	return time.Weekday(i), i >= 0
}

// ranges parses a day key's values; texts[i] is empty where values[i] is bad.
func (p *parser) ranges(key string, values []string) (spans []span, texts []string, closed bool) {
	if len(values) == 0 {
		p.add(FieldHours, key, -1, `no hours given; %s`, rangeHint)
		return nil, nil, false
	}
	spans, texts = make([]span, len(values)), make([]string, len(values))
	for i, v := range values {
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, closedWord) {
			closed = true
			if len(values) > 1 {
				p.add(FieldHours, key, i, `"closed" cannot be listed with opening ranges; keep either`)
			}
			continue
		}
		sp, err := parseRange(v)
		if err != nil {
			p.add(FieldHours, key, i, "%v", err)
			continue
		}
		spans[i], texts[i] = sp, v
	}
	return spans, texts, closed
}

// parseRange parses "HH:MM-HH:MM"; an end at or before the start is on the next day.
func parseRange(s string) (span, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok || strings.Contains(to, "-") {
		return span{}, fmt.Errorf("%q is not a range; %s", s, rangeHint)
	}
	start, err := clock(from)
	if err != nil {
		return span{}, fmt.Errorf("in %q: %w", s, err)
	}
	end, err := clock(to)
	if err != nil {
		return span{}, fmt.Errorf("in %q: %w", s, err)
	}
	if start == minutesPerDay {
		return span{}, fmt.Errorf("in %q: 24:00 can only end a range; start at 00:00 instead", s)
	}
	if end <= start {
		end += minutesPerDay
	}
	return span{start, end}, nil
}

// clock parses H:MM or HH:MM, from 00:00 to 24:00, into minutes after midnight.
func clock(s string) (int, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	h, errH := digits(hh, 1, 2)
	m, errM := digits(mm, 2, 2)
	if !ok || errH != nil || errM != nil || h > 24 || m > 59 || h == 24 && m != 0 {
		return 0, fmt.Errorf("%q is not a time of day: write HH:MM from 00:00 to 23:59, or 24:00 to end a range", s)
	}
	return h*60 + m, nil
}

// digits parses between least and most ASCII digits.
func digits(s string, least, most int) (int, error) {
	if len(s) < least || len(s) > most || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("not %d to %d digits", least, most)
	}
	return strconv.Atoi(s)
}

// closedAndOpen reports days that one key closes and another gives hours: the config
// has no order between keys, so neither can override the other.
func (p *parser) closedAndOpen(all []declared, closedBy map[time.Weekday]string) {
	for _, d := range all {
		// A key that lists "closed" with ranges has its own problem already.
		if key, ok := closedBy[d.day]; ok && key != d.key {
			p.add(FieldHours, key, -1, "%s is closed here but %s gives it %q; leave %s out of one of them",
				dayNames[d.day], d.key, d.text, dayNames[d.day])
		}
	}
}

// overlaps reports ranges that overlap, counting a range past midnight into the next
// day and Sunday night into Monday; ranges that only meet are fine.
func (p *parser) overlaps(all []declared) {
	slices.SortFunc(all, func(a, b declared) int {
		as, _ := a.week()
		bs, _ := b.week()
		if as != bs {
			return as - bs
		}
		if a.key != b.key {
			return strings.Compare(a.key, b.key)
		}
		return a.index - b.index
	})
	for j := range all {
		for i := range j {
			a, b := all[i], all[j]
			// One problem per range: a range that overlaps several is reported once.
			if !overlap(a, b) || p.seen[a.path()] || p.seen[b.path()] {
				continue
			}
			p.add(FieldHours, b.key, b.index, "%q on %s overlaps %q on %s (from %s); ranges may meet but not overlap",
				b.text, dayNames[b.day], a.text, dayNames[a.day], a.key)
		}
	}
}

// overlap reports whether two ranges share a minute of the week; a starts no later than b.
func overlap(a, b declared) bool {
	as, ae := a.week()
	bs, be := b.week()
	return ae > bs || be > as+minutesPerWeek
}
