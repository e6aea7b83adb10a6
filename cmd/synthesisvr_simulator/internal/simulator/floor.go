package simulator

import (
	"slices"
	"time"
)

// hold is stations kept busy at a venue from from until to (not included).
type hold struct {
	from, to time.Time
	stations int
}

// floor is a venue's stations over time: the holds of the sessions it let in,
// those playing and those booked ahead. A capacity of 0 is no limit.
type floor struct {
	capacity int
	holds    []hold
}

// peak returns the most stations held at any moment of [from, to).
func (f *floor) peak(from, to time.Time) int {
	type step struct {
		at time.Time
		n  int
	}
	var steps []step
	for _, h := range f.holds {
		if h.to.After(from) && h.from.Before(to) {
			// A hold that began earlier counts from from: what it overlapped before does not.
			steps = append(steps, step{later(h.from, from), h.stations}, step{h.to, -h.stations})
		}
	}
	// At the same instant a hold that ends frees its stations before one that
	// starts takes them.
	slices.SortFunc(steps, func(a, b step) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.n - b.n
	})
	n, most := 0, 0
	for _, s := range steps {
		n += s.n
		most = max(most, n)
	}
	return most
}

// fits reports whether stations more fit at every moment of [from, to).
func (f *floor) fits(from, to time.Time, stations int) bool {
	return f.capacity == 0 || f.peak(from, to)+stations <= f.capacity
}

// prune forgets the holds that ended by t: no group arriving from t on can meet them.
func (f *floor) prune(t time.Time) {
	f.holds = slices.DeleteFunc(f.holds, func(h hold) bool { return !h.to.After(t) })
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
