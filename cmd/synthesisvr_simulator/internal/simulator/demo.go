package simulator

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// Venue is one location of the demo: its title, the webhook URL its events go to
// (its own, as the vendor advises, or the shared one), its opening hours, read in
// its time zone, and what the exporter's config says of it.
type Venue struct {
	Name  string
	URL   string
	Hours *openinghours.Schedule
	// Stations is the venue's capacity, the config's stations: never more are busy
	// at once, and a group that does not fit is turned away. 0: no limit.
	Stations int
	// APIKey is the key the config gives the location for the sessions API, served
	// by the fake API (--api); "" when it has none.
	APIKey string
}

// DailyHours returns a schedule open every day in the ranges given, "HH:MM-HH:MM"
// separated by commas, read as the config file reads them ("18:00-02:00" crosses
// midnight, "00:00-24:00" is always open), in UTC: Schedule.In reads it in a venue's
// zone.
func DailyHours(ranges string) (*openinghours.Schedule, error) {
	if strings.EqualFold(strings.TrimSpace(ranges), "closed") {
		return nil, fmt.Errorf("opening hours %q: a venue that never opens has no sessions; give ranges such as 10:00-22:00", ranges)
	}
	s, err := openinghours.Parse(openinghours.Spec{Hours: map[string][]string{"mon-sun": strings.Split(ranges, ",")}})
	var e *openinghours.Error
	if errors.As(err, &e) {
		msgs := make([]string, len(e.Problems))
		for i, p := range e.Problems {
			msgs[i] = p.Message
		}
		return nil, fmt.Errorf("opening hours %q: %s", ranges, strings.Join(msgs, "; "))
	}
	return s, err
}

// DemoOptions describe the simulated venue chain.
type DemoOptions struct {
	Venues []Venue
	// Arrivals is the mean number of sessions per venue per open hour (Poisson).
	Arrivals                 float64
	MinStations, MaxStations int
	MinDuration, MaxDuration time.Duration
	// Speed is how many simulated seconds pass in one real second.
	Speed float64
	// Start is the simulated time at the start; a start when every venue is closed
	// moves on to the next opening.
	Start time.Time
	// RunFor bounds the demo in real time; zero runs until the context ends.
	RunFor time.Duration
	Edges  Edges
	Seed   uint64
	Model  *Model
	Client *http.Client
	Logger *slog.Logger
	// Tick is how often due events are sent; Status how often progress is logged.
	Tick, Status time.Duration
}

// Validate reports options that cannot run.
func (o *DemoOptions) Validate() error {
	var errs []error
	if len(o.Venues) == 0 {
		errs = append(errs, errors.New("no venues: --locations must be at least 1"))
	}
	for _, v := range o.Venues {
		if v.Hours == nil {
			errs = append(errs, fmt.Errorf("venue %s has no opening hours", v.Name))
		}
		if v.Stations < 0 {
			errs = append(errs, fmt.Errorf("venue %s has %d stations: give 1 or more, or 0 for no limit", v.Name, v.Stations))
		}
	}
	if o.Arrivals <= 0 {
		errs = append(errs, fmt.Errorf("--arrivals must be above 0, got %g", o.Arrivals))
	}
	if o.MinStations < 1 || o.MaxStations < o.MinStations {
		errs = append(errs, fmt.Errorf("stations must be 1 <= min <= max, got %d and %d", o.MinStations, o.MaxStations))
	}
	if o.MinDuration <= 0 || o.MaxDuration < o.MinDuration {
		errs = append(errs, fmt.Errorf("durations must be 0 < min <= max, got %s and %s", o.MinDuration, o.MaxDuration))
	}
	if o.Speed <= 0 {
		errs = append(errs, fmt.Errorf("--speed must be above 0, got %g", o.Speed))
	}
	errs = append(errs, o.Edges.Validate())
	return errors.Join(errs...)
}

// DemoResult counts what the demo sent. Sessions are the groups let in (their
// webhooks are sent); TurnedAway the groups a venue had no room for (nothing is
// sent for them).
type DemoResult struct {
	Sessions, TurnedAway, Events, Requests, Failed int
}

// scheduled is an event due at a simulated time.
type scheduled struct {
	at    time.Time
	seq   int // keeps the order of events scheduled for the same instant
	venue int
	ev    Event
}

type agenda []scheduled

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if !a[i].at.Equal(a[j].at) {
		return a[i].at.Before(a[j].at)
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }
func (a *agenda) Push(x any)   { *a = append(*a, x.(scheduled)) }
func (a *agenda) Pop() any {
	old := *a
	x := old[len(old)-1]
	*a = old[:len(old)-1]
	return x
}

// demo is a running demo: the simulated clock, the agenda and the venues' next arrivals.
type demo struct {
	o        DemoOptions
	rng      *rand.Rand
	agenda   agenda
	seq      int
	arrivals []time.Time // next arrival per venue, in simulated time
	floors   []floor     // per venue: its stations over time
	customer int
	res      DemoResult
	// real maps the simulated clock to the exporter's; nil before the demo runs.
	real func(time.Time) time.Time
}

// newDemo plans the start: sessions already in progress at open venues, so that a
// dashboard shows a busy floor at once, and every venue's first arrival.
func newDemo(o DemoOptions, real func(time.Time) time.Time) *demo {
	d := &demo{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed)), customer: 7000, real: real}
	meanOpen := (o.MinDuration + o.MaxDuration) / 2
	for i, v := range o.Venues {
		d.floors = append(d.floors, floor{capacity: v.Stations})
		start := o.Start.In(v.Hours.Location())
		if v.Hours.Open(start) {
			for range d.poisson(o.Arrivals * meanOpen.Hours()) {
				d.session(i, start, time.Duration(d.rng.Float64()*float64(d.duration())))
			}
		}
		d.arrivals = append(d.arrivals, d.nextArrival(i, start))
	}
	return d
}

// FirstOpening returns start, or when the first venue opens if all are closed then.
func FirstOpening(venues []Venue, start time.Time) time.Time {
	first := time.Time{}
	for _, v := range venues {
		t := nextOpen(v.Hours, start)
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first
}

// never stands for a venue that does not open within a year.
const never = 100 * 365 * 24 * time.Hour

// nextOpen returns t if the venue is open then, or else when it next opens.
func nextOpen(h *openinghours.Schedule, t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	if next, ok := h.NextChange(t); ok {
		return next
	}
	return t.Add(never)
}

// advance moves t on by gap counted in open time only: the time a Poisson process
// that runs during opening hours takes to cover gap.
func advance(h *openinghours.Schedule, t time.Time, gap time.Duration) time.Time {
	for range 1000 {
		t = nextOpen(h, t)
		closing, ok := h.NextChange(t)
		if !ok || gap < closing.Sub(t) {
			return t.Add(gap)
		}
		gap -= closing.Sub(t)
		t = closing
	}
	return t
}

// nextArrival draws when the next session arrives at venue i after an arrival at after.
func (d *demo) nextArrival(i int, after time.Time) time.Time {
	gap := time.Duration(d.rng.ExpFloat64() / d.o.Arrivals * float64(time.Hour))
	return advance(d.o.Venues[i].Hours, after, gap)
}

// poisson draws a Poisson count of mean lambda (Knuth: small means only).
func (d *demo) poisson(lambda float64) int {
	limit, p, k := math.Exp(-lambda), 1.0, 0
	for ; k < 1000; k++ {
		p *= d.rng.Float64()
		if p <= limit {
			break
		}
	}
	return k
}

// duration draws a session length: triangular, most sessions short, a few long.
func (d *demo) duration() time.Duration {
	lo, hi := float64(d.o.MinDuration), float64(d.o.MaxDuration)
	mode := lo + (hi-lo)/3
	u := d.rng.Float64()
	if u < (mode-lo)/(hi-lo) {
		return time.Duration(lo + math.Sqrt(u*(hi-lo)*(mode-lo)))
	}
	return time.Duration(hi - math.Sqrt((1-u)*(hi-lo)*(hi-mode)))
}

// stations draws a group size, small groups the most common.
func (d *demo) stations() int {
	n := d.o.MaxStations - d.o.MinStations + 1
	total := n * (n + 1) / 2
	r := d.rng.IntN(total)
	for k := range n {
		if r -= n - k; r < 0 {
			return d.o.MinStations + k
		}
	}
	return d.o.MinStations
}

// session schedules one group arriving at venue i at t, playing for length, with
// the rough edges drawn: a walk-in starts at t; a booking made at t starts later, in
// opening hours. A venue with a capacity lets the group in only if its stations are
// free for its whole time (see admit); otherwise it is turned away and nothing is
// sent. Its plan, on the exporter's clock, goes into the model for the API.
func (d *demo) session(i int, t time.Time, length time.Duration) {
	d.customer++
	ev := Event{UUID: newUUID(d.rng), Action: actionCreate, Location: d.o.Venues[i].Name,
		Stations: d.stations(), CustomerID: d.customer}
	del := ev
	del.Action = actionDelete
	edges := d.o.Edges
	if d.rng.Float64() < edges.DeleteFirst {
		// Removed before it was even created: it never plays, and holds no station.
		d.res.Sessions++
		d.push(i, t, del)
		d.push(i, t.Add(time.Second), ev)
		return
	}
	p := Plan{UUID: ev.UUID, Location: ev.Location, Stations: ev.Stations, Booked: t, Start: t,
		Experience: experiences[d.rng.IntN(len(experiences))]}
	if d.rng.Float64() < edges.Booking {
		lead := time.Hour + time.Duration(d.rng.Float64()*float64(23*time.Hour))
		p.Start = advance(d.o.Venues[i].Hours, t, lead)
	}
	p.End = p.Start.Add(length)
	p.Cost = price(p.Stations, length)
	missed := d.rng.Float64() < edges.MissedWebhook
	switch {
	case p.Start.After(p.Booked) && d.rng.Float64() < edges.Cancel:
		p.DeletedAt = p.Booked.Add(time.Duration(d.rng.Float64() * float64(p.Start.Sub(p.Booked))))
	case d.rng.Float64() < edges.Extend:
		p.ExtendedAt = p.Start.Add(time.Duration((0.1 + 0.4*d.rng.Float64()) * float64(length)))
		p.ExtendedEnd = p.End.Add(10*time.Minute + time.Duration(d.rng.IntN(21))*time.Minute)
	}
	// The operator removes the session a little after its time ran out, unless its
	// delete goes missing.
	removed := p.DeletedAt.IsZero() && !missed && d.rng.Float64() >= edges.MissingDelete
	removal := time.Minute + time.Duration(d.rng.IntN(240))*time.Second
	if !d.admit(i, &p, removed, removal) {
		d.res.TurnedAway++
		return
	}
	d.res.Sessions++
	if !p.ExtendedAt.IsZero() {
		p.Cost += price(p.Stations, p.ExtendedEnd.Sub(p.End))
	}
	if removed {
		p.DeletedAt = p.finalEnd().Add(removal)
	}
	p.MissedWebhook = missed
	if d.o.Model != nil && d.real != nil {
		d.o.Model.AddPlan(d.onRealClock(p))
	}
	if missed {
		return
	}
	d.push(i, p.Booked, ev)
	if !p.DeletedAt.IsZero() {
		d.push(i, p.DeletedAt, del)
	}
}

// admit decides whether venue i has room for the group of p, and if so holds its
// stations. Every session's future is drawn when it arrives, so the venue checks the
// group's whole time, not only its start: from its start until it is removed (its
// delete, removal after its end when removed is set) or, when no delete comes, until
// its end. It must fit beside every session let in before it, those playing and
// those booked ahead: a booking is taken only if its stations are free for its whole
// slot when it is made, and a later walk-in only if it leaves them free. An
// extension is granted only if the stations stay free for the extra time; otherwise
// the session ends as planned. A booking that will be cancelled must fit when it is
// made, but holds nothing: it never plays. Without a capacity every group fits.
func (d *demo) admit(i int, p *Plan, removed bool, removal time.Duration) bool {
	f := &d.floors[i]
	if f.capacity == 0 {
		return true
	}
	f.prune(p.Booked)
	until := func(end time.Time) time.Time {
		if removed {
			return end.Add(removal)
		}
		return end
	}
	if p.Cancelled() {
		return f.fits(p.Start, p.End, p.Stations)
	}
	if !p.ExtendedAt.IsZero() && !f.fits(p.Start, until(p.ExtendedEnd), p.Stations) {
		p.ExtendedAt, p.ExtendedEnd = time.Time{}, time.Time{}
	}
	end := until(p.finalEnd())
	if !f.fits(p.Start, end, p.Stations) {
		return false
	}
	f.holds = append(f.holds, hold{from: p.Start, to: end, stations: p.Stations})
	return true
}

// onRealClock moves a plan's times from the simulated clock to the exporter's.
func (d *demo) onRealClock(p Plan) Plan {
	for _, t := range []*time.Time{&p.Booked, &p.Start, &p.End, &p.ExtendedAt, &p.ExtendedEnd, &p.DeletedAt} {
		if !t.IsZero() {
			*t = d.real(*t)
		}
	}
	return p
}

// experiences are what the demo's venues play.
var experiences = []string{"Beat Saber", "Half-Life: Alyx", "Arizona Sunshine", "Superhot VR",
	"Eleven Table Tennis", "Richie's Plank Experience", "Pavlov VR", "Escape Room: The Lab"}

// price is what a session costs: 30 per station and hour, in cents.
func price(stations int, length time.Duration) float64 {
	return math.Round(float64(stations)*length.Hours()*30*100) / 100
}

// push schedules an event, and its second delivery with the duplicate edge.
func (d *demo) push(i int, at time.Time, ev Event) {
	d.seq++
	heap.Push(&d.agenda, scheduled{at: at, seq: d.seq, venue: i, ev: ev})
	if d.rng.Float64() < d.o.Edges.Duplicate {
		d.seq++
		heap.Push(&d.agenda, scheduled{at: at.Add(2 * time.Second), seq: d.seq, venue: i, ev: ev})
	}
}

// advance schedules the sessions that arrive up to now (simulated) and returns the
// events due, in order.
func (d *demo) advance(now time.Time) []scheduled {
	for i := range d.arrivals {
		for !d.arrivals[i].After(now) {
			t := d.arrivals[i]
			d.session(i, t, d.duration())
			d.arrivals[i] = d.nextArrival(i, t)
		}
	}
	var due []scheduled
	for len(d.agenda) > 0 && !d.agenda[0].at.After(now) {
		due = append(due, heap.Pop(&d.agenda).(scheduled))
	}
	return due
}

// posts groups due events into POSTs: per venue in order, several in one POST with
// the batch edge.
func (d *demo) posts(due []scheduled) [][]scheduled {
	var out [][]scheduled
	open := map[int]int{} // venue -> index in out of its open batch
	for _, s := range due {
		if j, ok := open[s.venue]; ok && len(out[j]) < 5 {
			out[j] = append(out[j], s)
			continue
		}
		out = append(out, []scheduled{s})
		delete(open, s.venue)
		if d.rng.Float64() < d.o.Edges.Batch {
			open[s.venue] = len(out) - 1
		}
	}
	return out
}

// RunDemo simulates the venues until ctx ends or RunFor passes.
func RunDemo(ctx context.Context, o DemoOptions) (DemoResult, error) {
	if err := o.Validate(); err != nil {
		return DemoResult{}, err
	}
	if o.RunFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.RunFor)
		defer cancel()
	}
	realStart := time.Now()
	d := newDemo(o, func(t time.Time) time.Time {
		return realStart.Add(time.Duration(float64(t.Sub(o.Start)) / o.Speed))
	})
	sim := func() time.Time {
		return o.Start.Add(time.Duration(float64(time.Since(realStart)) * o.Speed))
	}
	tick := time.NewTicker(o.Tick)
	defer tick.Stop()
	status := time.NewTicker(o.Status)
	defer status.Stop()
	for {
		d.send(ctx, d.advance(sim()))
		select {
		case <-ctx.Done():
			return d.res, nil
		case <-status.C:
			d.logStatus(sim())
		case <-tick.C:
		}
	}
}

// send posts the due events in order; the model learns what was answered.
func (d *demo) send(ctx context.Context, due []scheduled) {
	for _, batch := range d.posts(due) {
		evs := make([]Event, len(batch))
		for i, s := range batch {
			evs[i] = s.ev
		}
		url := d.o.Venues[batch[0].venue].URL
		sent := time.Now()
		code, err := post(ctx, d.o.Client, url, encodeBatch(evs))
		d.res.Requests++
		d.res.Events += len(evs)
		if err == nil && code == http.StatusOK {
			d.o.Model.Applied(evs, sent)
			continue
		}
		d.o.Model.Failed(evs, sent)
		if ctx.Err() != nil {
			return
		}
		d.res.Failed++
		d.o.Logger.Warn("The exporter did not take a webhook", "url", RedactURL(url), "status", code, "err", err)
	}
}

func (d *demo) logStatus(now time.Time) {
	want := d.o.Model.Expect(time.Now(), math.MaxInt64, 0)
	args := []any{"simulated_time", now.Round(time.Second).Format(time.DateTime + " MST"),
		"sessions", d.res.Sessions, "turned_away", d.res.TurnedAway, "requests", d.res.Requests, "failed", d.res.Failed}
	for _, v := range d.o.Venues {
		open := v.Hours.Open(now)
		args = append(args, v.Name, fmt.Sprintf("%g active (open=%t)", want[v.Name].Sessions.Max, open))
	}
	d.o.Logger.Info("Demo running", args...)
}

// PlanSessions plans the demo's sessions arriving from o.Start until until into
// o.Model, on the real clock, and sends nothing: the sessions of a fake API that runs
// alone. It returns how many sessions it planned and how many groups it turned away.
func PlanSessions(o DemoOptions, until time.Time) DemoResult {
	d := newDemo(o, func(t time.Time) time.Time { return t })
	d.advance(until)
	return d.res
}
