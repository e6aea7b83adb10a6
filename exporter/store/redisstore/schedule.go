package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

var _ session.Scheduler = (*Store)(nil)

// extra is a session's record in session_schedule. Times are 19-digit unix
// nanoseconds in strings, as everywhere in the keys: the scripts read the JSON with
// cjson, whose numbers are doubles.
type extra struct {
	Phase    string         `json:"phase,omitempty"`
	Waiting  bool           `json:"waiting,omitempty"`
	Schedule *extraSchedule `json:"schedule,omitempty"`
	Lookup   *extraLookup   `json:"lookup,omitempty"`
}

type extraSchedule struct {
	Start      string  `json:"start"`
	End        string  `json:"end"`
	Experience string  `json:"experience,omitempty"`
	Cost       float64 `json:"cost,omitempty"`
	Stations   int     `json:"stations,omitempty"`
}

type extraLookup struct {
	Needed   bool   `json:"needed,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	NextTry  string `json:"next_try,omitempty"`
	GaveUp   bool   `json:"gave_up,omitempty"`
}

// decodeExtra reads a session_schedule record (empty when none) into sess.
func decodeExtra(sess *session.Session, v string) error {
	if v == "" {
		return nil
	}
	var x extra
	if err := json.Unmarshal([]byte(v), &x); err != nil {
		return fmt.Errorf("schedule record: %w", err)
	}
	sess.Phase, sess.Waiting = x.Phase, x.Waiting
	if sc := x.Schedule; sc != nil {
		start, err1 := decodeTime(sc.Start)
		end, err2 := decodeTime(sc.End)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("schedule record: %w", err)
		}
		sess.Schedule = session.Schedule{Start: start, End: end, Experience: sc.Experience, Cost: sc.Cost, Stations: sc.Stations}
	}
	if l := x.Lookup; l != nil {
		sess.Lookup = session.Lookup{Needed: l.Needed, Attempts: l.Attempts, GaveUp: l.GaveUp}
		if l.NextTry != "" {
			t, err := decodeTime(l.NextTry)
			if err != nil {
				return fmt.Errorf("schedule record: %w", err)
			}
			sess.Lookup.NextTry = t
		}
	}
	return nil
}

// encodeExtra writes sess's session_schedule record; empty when it needs none.
func encodeExtra(sess session.Session) (string, error) {
	x := extra{Phase: sess.Phase, Waiting: sess.Waiting}
	if sc := sess.Schedule; sc.Known() {
		start, err1 := encodeTime(sc.Start)
		end, err2 := encodeTime(sc.End)
		if err := errors.Join(err1, err2); err != nil {
			return "", err
		}
		x.Schedule = &extraSchedule{Start: start, End: end, Experience: sc.Experience, Cost: sc.Cost, Stations: sc.Stations}
	}
	if l := sess.Lookup; l != (session.Lookup{}) {
		x.Lookup = &extraLookup{Needed: l.Needed, Attempts: l.Attempts, GaveUp: l.GaveUp}
		if !l.NextTry.IsZero() {
			t, err := encodeTime(l.NextTry)
			if err != nil {
				return "", err
			}
			x.Lookup.NextTry = t
		}
	}
	if x == (extra{}) {
		return "", nil
	}
	v, err := json.Marshal(x)
	return string(v), err
}

// mainRecord splits a session's record as the scripts' parse does.
var mainRecord = regexp.MustCompile(`(?s)^(\d+) (-?\d+) (.*)$`)

// casRetries bounds how often a transition is computed again after another
// replica changed its records first.
const casRetries = 20

// transition runs f on the current records of uuids, in a state of their own,
// and writes what it changed if no one changed them meanwhile (changeScript);
// otherwise it reads them again and retries. f runs once per attempt.
func (s *Store) transition(ctx context.Context, uuids []string, f func(*session.State)) error {
	if s.closed.Load() {
		return ErrClosed
	}
	for range casRetries {
		st, read, err := s.read(ctx, uuids)
		if err != nil {
			return err
		}
		before := st.Locations()
		f(st)
		args, err := changeArgs(st, uuids, read, before)
		if err != nil {
			return err
		}
		r, err := changeScript.Run(ctx, s.client, s.keys, args...).Text()
		if err != nil {
			return fmt.Errorf("redis change script: %w", err)
		}
		if r == "ok" {
			return nil
		}
	}
	return fmt.Errorf("redis change script: the sessions kept changing under %d attempts", casRetries)
}

// records are the raw values of one session's keys, empty when absent.
type records struct{ main, extra, tomb string }

// read loads the sessions and tombstones of uuids into a new state.
func (s *Store) read(ctx context.Context, uuids []string) (*session.State, map[string]records, error) {
	var mains, extras, tombs *redis.SliceCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		mains = p.HMGet(ctx, s.keys[keySessions], uuids...)
		extras = p.HMGet(ctx, s.keys[keyExtra], uuids...)
		tombs = p.HMGet(ctx, s.keys[keyTombs], uuids...)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("redis read sessions: %w", err)
	}
	st := session.NewState(false)
	read := make(map[string]records, len(uuids))
	str := func(v any) string { x, _ := v.(string); return x }
	for i, uuid := range uuids {
		r := records{main: str(mains.Val()[i]), extra: str(extras.Val()[i]), tomb: str(tombs.Val()[i])}
		read[uuid] = r
		if r.tomb != "" {
			until, err := decodeTime(r.tomb)
			if err != nil {
				return nil, nil, fmt.Errorf("redis tombstone %q: %w", uuid, err)
			}
			st.RestoreTombstone(uuid, until)
		}
		if r.main == "" {
			continue
		}
		m := mainRecord.FindStringSubmatch(r.main)
		if m == nil {
			return nil, nil, fmt.Errorf("redis session %q: record %q is not \"<started> <stations> <location>\"", uuid, r.main)
		}
		sess, err := decodeSession(uuid, m[1], m[2], m[3], r.extra)
		if err != nil {
			return nil, nil, err
		}
		st.Restore(sess)
	}
	return st, read, nil
}

// changeArgs are the changeScript arguments that turn read into st's records.
func changeArgs(st *session.State, uuids []string, read map[string]records, before map[string]session.LocationStats) ([]any, error) {
	args := []any{schemaVersion, len(uuids)}
	for _, uuid := range uuids {
		r := read[uuid]
		var main, ext, tomb, byStart, due, lookup string
		if sess, ok := st.Session(uuid); ok {
			started, err := encodeTime(sess.Started)
			if err != nil {
				return nil, err
			}
			main = started + " " + strconv.Itoa(sess.Stations) + " " + sess.Location
			if ext, err = encodeExtra(sess); err != nil {
				return nil, err
			}
			switch sess.Phase {
			case "":
				byStart = score(sess.Started)
			case session.PhaseBooked:
				due = score(sess.Schedule.Start)
			case session.PhasePlaying:
				due = score(sess.Schedule.End)
			}
			if sess.Lookup.Needed {
				lookup = score(sess.Lookup.NextTry)
			}
		}
		if until, ok := st.Tombstone(uuid); ok {
			var err error
			if tomb, err = encodeTime(until); err != nil {
				return nil, err
			}
		}
		args = append(args, uuid, r.main, r.extra, r.tomb, main, ext, tomb, byStart, due, lookup)
	}
	for name, l := range st.Locations() {
		b := before[name]
		da, ds, db := l.Active-b.Active, l.Stations-b.Stations, l.Booked-b.Booked
		if _, known := before[name]; known && da == 0 && ds == 0 && db == 0 {
			continue
		}
		args = append(args, name, da, ds, db)
	}
	return args, nil
}

// score is a time as a sorted-set score: unix nanoseconds, as the scripts write them.
func score(t time.Time) string { return strconv.FormatInt(t.UnixNano(), 10) }

// Schedule implements session.Scheduler.
func (s *Store) Schedule(ctx context.Context, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	var o session.Outcome
	err := s.transition(ctx, []string{uuid}, func(st *session.State) { o = st.Schedule(uuid, sched, now) })
	return o, err
}

// LookupFailed implements session.Scheduler.
func (s *Store) LookupFailed(ctx context.Context, uuid string, now, next time.Time, giveUp bool) (session.Outcome, error) {
	var o session.Outcome
	err := s.transition(ctx, []string{uuid}, func(st *session.State) { o = st.LookupFailed(uuid, now, next, giveUp) })
	return o, err
}

// Reconcile implements session.Scheduler.
func (s *Store) Reconcile(ctx context.Context, location, uuid string, sched session.Schedule, now time.Time) (session.Outcome, error) {
	var o session.Outcome
	err := s.transition(ctx, []string{uuid}, func(st *session.State) { o = st.Reconcile(location, uuid, sched, now) })
	return o, err
}

// Advance implements session.Scheduler: the sessions due by now, at most limit,
// are moved in one compare and set.
func (s *Store) Advance(ctx context.Context, now time.Time, limit int) (session.Expiry, error) {
	if s.closed.Load() {
		return session.Expiry{}, ErrClosed
	}
	if limit <= 0 {
		limit = -1
	}
	uuids, err := s.client.ZRangeByScore(ctx, s.keys[keyDue], &redis.ZRangeBy{Min: "-inf", Max: score(now), Count: int64(limit)}).Result()
	if err != nil {
		return session.Expiry{}, fmt.Errorf("redis read due sessions: %w", err)
	}
	if len(uuids) == 0 {
		return session.Expiry{}, nil
	}
	var x session.Expiry
	err = s.transition(ctx, uuids, func(st *session.State) { x = st.Advance(now, 0) })
	if err != nil {
		return session.Expiry{}, err
	}
	// A full page that made progress may have more behind it.
	x.More = len(uuids) == limit && len(x.Ended) > 0
	return x, nil
}

// Lookups implements session.Scheduler.
func (s *Store) Lookups(ctx context.Context, now time.Time, limit int) ([]session.Due, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if limit <= 0 {
		limit = -1
	}
	uuids, err := s.client.ZRangeByScore(ctx, s.keys[keyLookups], &redis.ZRangeBy{Min: "-inf", Max: score(now), Count: int64(limit)}).Result()
	if err != nil || len(uuids) == 0 {
		if err != nil {
			err = fmt.Errorf("redis read due lookups: %w", err)
		}
		return nil, err
	}
	st, _, err := s.read(ctx, uuids)
	if err != nil {
		return nil, err
	}
	return st.Lookups(now, 0), nil
}
