// Package storetest is the contract every session.Store passes: the state machine's
// scenarios, durability across close and reopen, and concurrent use.
package storetest

import (
	"time"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Base is the instant scenarios start at.
var Base = time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)

// Step is one batch, or one expiry run, at Base+At.
type Step struct {
	At           time.Duration
	Changes      []session.Change
	MaxLocations int
	Exempt       []string
	// MaxActive and MaxActiveAtLocation are the batch's session limits.
	MaxActive, MaxActiveAtLocation int
	// Expire runs an expiry with this maximum age instead of applying Changes.
	Expire time.Duration
	// Want is the result of each outcome, in order.
	Want []string
}

// Loc is the expected state of a location.
type Loc struct {
	Active, Stations int
	LastEvent        time.Duration // since Base
}

// Scenario is a named sequence of steps and the locations it leaves.
type Scenario struct {
	Name  string
	Steps []Step
	Want  map[string]Loc
}

// Create and Delete build changes for scenarios.
func Create(uuid, loc string, stations int) session.Change {
	return session.Change{UUID: uuid, Action: session.ActionCreate, Location: loc, Stations: stations}
}

// Delete builds a delete change.
func Delete(uuid, loc string) session.Change {
	return session.Change{UUID: uuid, Action: session.ActionDelete, Location: loc, Stations: 1}
}

const (
	u1 = "41509791-3de8-5bb9-b4fc-a9753da95aad"
	u2 = "6f1c2b9e-0d1a-4c55-9a61-2b7c9f0e8d11"
	u3 = "c0ffee00-1234-4abc-8def-0123456789ab"
)

// Scenarios are the state machine's cases of exporter/README.md "Session semantics".
var Scenarios = []Scenario{
	{
		Name:  "create starts a session",
		Steps: []Step{{Changes: []session.Change{Create(u1, "Kamen Test", 2)}, Want: []string{session.ResultApplied}}},
		Want:  map[string]Loc{"Kamen Test": {Active: 1, Stations: 2}},
	},
	{
		Name: "create then delete ends it and keeps the zero series",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "Kamen Test", 2)}, Want: []string{session.ResultApplied}},
			{At: 30 * time.Minute, Changes: []session.Change{Delete(u1, "Kamen Test")}, Want: []string{session.ResultApplied}},
		},
		Want: map[string]Loc{"Kamen Test": {LastEvent: 30 * time.Minute}},
	},
	{
		Name: "duplicate create updates stations to the newest",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "A", 1)}, Want: []string{session.ResultApplied}},
			{At: time.Minute, Changes: []session.Change{Create(u1, "A", 4)}, Want: []string{session.ResultDuplicate}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 4, LastEvent: time.Minute}},
	},
	{
		Name: "duplicate create under another title keeps the first location",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "A", 1)}, Want: []string{session.ResultApplied}},
			{At: time.Minute, Changes: []session.Change{Create(u1, "B", 3)}, Want: []string{session.ResultDuplicate}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 3}, "B": {LastEvent: time.Minute}},
	},
	{
		Name:  "delete of an unknown session is unmatched",
		Steps: []Step{{Changes: []session.Change{Delete(u1, "A")}, Want: []string{session.ResultUnmatched}}},
		Want:  map[string]Loc{"A": {}},
	},
	{
		Name: "create after its delete is late and leaves no ghost",
		Steps: []Step{
			{Changes: []session.Change{Delete(u1, "A")}, Want: []string{session.ResultUnmatched}},
			{At: time.Second, Changes: []session.Change{Create(u1, "A", 2)}, Want: []string{session.ResultLate}},
		},
		Want: map[string]Loc{"A": {LastEvent: time.Second}},
	},
	{
		Name: "create after an ended session is late",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "A", 1), Delete(u1, "A"), Create(u1, "A", 1)},
				Want: []string{session.ResultApplied, session.ResultApplied, session.ResultLate}},
		},
		Want: map[string]Loc{"A": {}},
	},
	{
		Name: "tombstone is forgotten after its time",
		Steps: []Step{
			{Changes: []session.Change{Delete(u1, "A")}, Want: []string{session.ResultUnmatched}},
			{At: session.TombstoneTTL + time.Minute, Expire: 6 * time.Hour},
			{At: session.TombstoneTTL + 2*time.Minute, Changes: []session.Change{Create(u1, "A", 1)}, Want: []string{session.ResultApplied}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 1, LastEvent: session.TombstoneTTL + 2*time.Minute}},
	},
	{
		Name: "second delete of an ended session is unmatched",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "A", 1), Delete(u1, "A"), Delete(u1, "A")},
				Want: []string{session.ResultApplied, session.ResultApplied, session.ResultUnmatched}},
		},
		Want: map[string]Loc{"A": {}},
	},
	{
		Name: "batch applies in array order across locations",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "A", 1), Create(u2, "B", 2), Delete(u1, "A"), Create(u3, "B", 3)},
				Want: []string{session.ResultApplied, session.ResultApplied, session.ResultApplied, session.ResultApplied}},
		},
		Want: map[string]Loc{"A": {}, "B": {Active: 2, Stations: 5}},
	},
	{
		Name: "unknown action only marks the location alive",
		Steps: []Step{
			{At: time.Minute, Changes: []session.Change{{UUID: u1, Action: "update", Location: "A", Stations: 1}}, Want: []string{session.ResultIgnored}},
			{At: 2 * time.Minute, Changes: []session.Change{Create(u1, "A", 1)}, Want: []string{session.ResultApplied}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 1, LastEvent: 2 * time.Minute}},
	},
	{
		Name: "old session expires once, newer one stays",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "A", 2)}, Want: []string{session.ResultApplied}},
			{At: 5 * time.Hour, Changes: []session.Change{Create(u2, "A", 1)}, Want: []string{session.ResultApplied}},
			{At: 6*time.Hour + time.Second, Expire: 6 * time.Hour, Want: []string{session.ResultExpired}},
			{At: 6*time.Hour + 2*time.Second, Expire: 6 * time.Hour},
			{At: 6*time.Hour + 3*time.Second, Changes: []session.Change{Delete(u1, "A")}, Want: []string{session.ResultUnmatched}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 1, LastEvent: 6*time.Hour + 3*time.Second}},
	},
	{
		Name: "new locations past the limit fold into overflow",
		Steps: []Step{
			{MaxLocations: 2, Changes: []session.Change{Create(u1, "A", 1), Create(u2, "B", 1), Create(u3, "C", 1), Delete(u3, "D")},
				Want: []string{session.ResultApplied, session.ResultApplied, session.ResultApplied, session.ResultApplied}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 1}, "B": {Active: 1, Stations: 1}, session.OverflowLocation: {}},
	},
	{
		Name: "exempt locations never fold",
		Steps: []Step{
			{MaxLocations: 1, Exempt: []string{"Configured"}, Changes: []session.Change{Create(u1, "A", 1), Create(u2, "Configured", 1)},
				Want: []string{session.ResultApplied, session.ResultApplied}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 1}, "Configured": {Active: 1, Stations: 1}},
	},
	{
		Name: "a create past the active-session limit is refused alone; duplicates and deletes are taken",
		Steps: []Step{
			{MaxActive: 2, Changes: []session.Change{Create(u1, "A", 1), Create(u2, "B", 1), Create(u3, "B", 1), Create(u1, "A", 3)},
				Want: []string{session.ResultApplied, session.ResultApplied, session.ResultLimited, session.ResultDuplicate}},
			{At: time.Minute, MaxActive: 2, Changes: []session.Change{Delete(u2, "B"), Create(u3, "B", 1)},
				Want: []string{session.ResultApplied, session.ResultApplied}},
		},
		Want: map[string]Loc{"A": {Active: 1, Stations: 3}, "B": {Active: 1, Stations: 1, LastEvent: time.Minute}},
	},
	{
		Name: "the limit at a location counts that location's sessions only",
		Steps: []Step{
			{Changes: []session.Change{Create(u1, "Other", 1)}, Want: []string{session.ResultApplied}},
			{MaxActiveAtLocation: 1, Changes: []session.Change{Create(u2, "Bound", 2), Create(u3, "Bound", 1)},
				Want: []string{session.ResultApplied, session.ResultLimited}},
		},
		Want: map[string]Loc{"Other": {Active: 1, Stations: 1}, "Bound": {Active: 1, Stations: 2}},
	},
}

// Batch builds the batch of a step.
func (st Step) Batch() session.Batch {
	b := session.Batch{Now: Base.Add(st.At), Changes: st.Changes, MaxLocations: st.MaxLocations,
		MaxActive: st.MaxActive, MaxActiveAtLocation: st.MaxActiveAtLocation}
	if len(st.Exempt) > 0 {
		b.Exempt = map[string]bool{}
		for _, l := range st.Exempt {
			b.Exempt[l] = true
		}
	}
	return b
}

// Results lists the results of outcomes.
func Results(out []session.Outcome) []string {
	var r []string
	for _, o := range out {
		r = append(r, o.Result)
	}
	return r
}

// Locs turns store locations into the scenario form, for comparison.
func Locs(m map[string]session.LocationStats) map[string]Loc {
	out := make(map[string]Loc, len(m))
	for name, l := range m {
		out[name] = Loc{Active: l.Active, Stations: l.Stations, LastEvent: l.LastEvent.Sub(Base)}
	}
	return out
}
