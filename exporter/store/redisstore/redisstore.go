// Package redisstore is a session.Store on Redis, for several replicas that share
// one state: each batch of changes and each expiry run is one Lua script, so Redis
// applies it atomically, and every replica reads the same sessions and gauges.
//
// Keys, all under one prefix so that one Redis can serve several venues:
//
//	<prefix>schema               string: the layout version
//	<prefix>generation           string: a random id written at first use (see Generation)
//	<prefix>sessions             hash   uuid -> "<started> <stations> <location>"
//	<prefix>sessions_by_start    zset   uuid scored by start (for expiry)
//	<prefix>tombstones           hash   uuid -> until when it is kept
//	<prefix>tombstones_by_until  zset   uuid scored by until (for forgetting)
//	<prefix>location_active      hash   location -> active sessions
//	<prefix>location_stations    hash   location -> stations in them
//	<prefix>location_last_event  hash   location -> newest event; its fields are the known locations
//	<prefix>forgotten            set    locations forgotten through the admin API and not seen since
//	<prefix>session_schedule     hash   uuid -> JSON: phase, schedule, lookup (sessions with an API key)
//	<prefix>location_booked      hash   location -> booked sessions
//	<prefix>sessions_due         zset   scheduled uuid scored by its next phase change (start or end)
//	<prefix>lookups_due          zset   uuid scored by when its lookup is due
//
// Times are unix nanoseconds, so outcomes and gauges are exactly those of the
// in-memory state machine.
package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// DefaultPrefix is the key prefix when none is given.
const DefaultPrefix = "synthesisvr:"

// schemaVersion changes when the layout of the keys does; a store refuses keys of
// another version rather than misread them. Version 2 added the keys of
// schedules; keys of version 1 are read as they are and marked 2 at the first write.
const schemaVersion = "2"

// migratableSchema is the older version that opens as the current one.
const migratableSchema = "1"

// ErrClosed is returned by a store that was closed.
var ErrClosed = errors.New("redis store is closed")

// keyNames are the keys under the prefix, in the order the scripts take them.
var keyNames = []string{
	"schema", "sessions", "sessions_by_start", "tombstones", "tombstones_by_until",
	"location_active", "location_stations", "location_last_event", "forgotten",
	"session_schedule", "location_booked", "sessions_due", "lookups_due",
}

// Indexes into Store.keys.
const (
	keySchema = iota
	keySessions
	_
	keyTombs
	_
	keyActive
	keyStations
	keyLast
	keyForgotten
	keyExtra
	keyBooked
	keyDue
	keyLookups
)

// Store implements the session.Store interface on Redis.
type Store struct {
	client *redis.Client
	keys   []string
	closed atomic.Bool

	// generation is the id of the keys this store last saw; genMu orders checks.
	genKey     string
	genMu      sync.Mutex
	generation string
	// OnReset, when set before use, is told that the keys under the prefix were
	// lost (a Redis restarted without its data, a FLUSHALL, a failover to an empty
	// replica): the sessions it held are gone.
	OnReset func(old, new string)
}

// New returns a store on client with its keys under prefix. It does not touch
// the network: a Redis that is down at start is reported by Ping. Close closes
// the client.
func New(client *redis.Client, prefix string) *Store {
	keys := make([]string, len(keyNames))
	for i, k := range keyNames {
		keys[i] = prefix + k
	}
	return &Store{client: client, keys: keys, genKey: prefix + "generation"}
}

// Generation checks that the keys under the prefix are those this store saw
// before: at first use it writes a random id under <prefix>generation (or
// adopts the one another replica wrote); when that id is later gone or another,
// Redis lost its data, and OnReset is told once per loss. It runs at every
// scrape (Locations) and readiness check (Ping).
func (s *Store) Generation(ctx context.Context) error {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	cur, err := s.client.Get(ctx, s.genKey).Result()
	if errors.Is(err, redis.Nil) {
		cur = ""
	} else if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if cur == "" {
		id := rand.Text()
		if err := s.client.SetNX(ctx, s.genKey, id, 0).Err(); err != nil {
			return fmt.Errorf("redis: write %s: %w", s.genKey, err)
		}
		// Another replica may have written first: adopt what is there.
		if cur, err = s.client.Get(ctx, s.genKey).Result(); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
	}
	old := s.generation
	s.generation = cur
	if old != "" && old != cur && s.OnReset != nil {
		s.OnReset(old, cur)
	}
	return nil
}

// Open connects (lazily) to the Redis that o names.
func Open(o Options) (*Store, error) {
	c, err := NewClient(o)
	if err != nil {
		return nil, err
	}
	prefix := o.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return New(c, prefix), nil
}

// Apply implements session.Store.
func (s *Store) Apply(ctx context.Context, b session.Batch) ([]session.Outcome, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	out := make([]session.Outcome, 0, len(b.Changes))
	if len(b.Changes) == 0 {
		return out, nil
	}
	now, err := encodeTime(b.Now)
	if err != nil {
		return nil, err
	}
	until, _ := encodeTime(b.Now.Add(session.TombstoneTTL))
	args := make([]any, 0, 7+6*len(b.Changes))
	args = append(args, schemaVersion, now, until, b.MaxLocations, session.OverflowLocation, b.MaxActive, b.MaxActiveAtLocation)
	for _, c := range b.Changes {
		exempt := "0"
		if b.Exempt[c.Location] {
			exempt = "1"
		}
		lookup := "0"
		if c.NeedsLookup {
			lookup = "1"
		}
		args = append(args, c.Action, c.UUID, c.Location, c.Stations, exempt, lookup)
	}
	reply, err := applyScript.Run(ctx, s.client, s.keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("redis apply script: %w", err)
	}
	if len(reply) != len(b.Changes) {
		return nil, fmt.Errorf("redis apply script: %d results for %d changes", len(reply), len(b.Changes))
	}
	for i, r := range reply {
		o, err := applyOutcome(b, b.Changes[i], r)
		if err != nil {
			return nil, fmt.Errorf("redis apply script: change %d: %w", i, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// applyOutcome decodes one change's result: {result, label, folded[, started,
// stations, location, extra]}.
func applyOutcome(b session.Batch, c session.Change, r any) (session.Outcome, error) {
	f, err := strs(r)
	if err != nil || (len(f) != 3 && len(f) != 7) {
		return session.Outcome{}, fmt.Errorf("unexpected reply %v", r)
	}
	o := session.Outcome{Change: c, Result: f[0], Folded: f[2] == "1"}
	o.Change.Location = f[1]
	if len(f) == 7 {
		if o.Session, err = decodeSession(c.UUID, f[3], f[4], f[5], f[6]); err != nil {
			return o, err
		}
	}
	if c.Action == session.ActionDelete && o.Result == session.ResultApplied {
		o.Ended, o.Reason = b.Now, session.ReasonDeleted
		if o.Session.DeleteCancels() {
			o.Reason = session.ReasonCancelled
		} else {
			o.Started = o.Session.Waiting
		}
	}
	if c.Action == session.ActionCreate && o.Result == session.ResultApplied {
		o.Started = !c.NeedsLookup
	}
	return o, nil
}

// Expire implements session.Store: one step is one script, so Redis is never
// blocked long by a large backlog.
func (s *Store) Expire(ctx context.Context, now time.Time, maxAge time.Duration, limit int) (session.Expiry, error) {
	if s.closed.Load() {
		return session.Expiry{}, ErrClosed
	}
	cutoff, err := encodeTime(now.Add(-maxAge))
	if err != nil {
		return session.Expiry{}, err
	}
	nowS, err := encodeTime(now)
	if err != nil {
		return session.Expiry{}, err
	}
	until, _ := encodeTime(now.Add(session.TombstoneTTL))
	if limit <= 0 {
		limit = -1 // ZRANGEBYSCORE's LIMIT: no bound
	}
	reply, err := expireScript.Run(ctx, s.client, s.keys, schemaVersion, cutoff, nowS, until, limit).Slice()
	if err != nil {
		return session.Expiry{}, fmt.Errorf("redis expire script: %w", err)
	}
	if len(reply) != 4 {
		return session.Expiry{}, fmt.Errorf("redis expire script: unexpected reply %v", reply)
	}
	var x session.Expiry
	ended, err := endedSessions(reply[0])
	if err != nil {
		return x, fmt.Errorf("redis expire script: %w", err)
	}
	for _, sess := range ended {
		x.Ended = append(x.Ended, session.Outcome{
			Change:  session.Change{UUID: sess.UUID, Location: sess.Location, Stations: sess.Stations},
			Result:  session.ResultExpired,
			Session: sess,
			Ended:   now,
			Reason:  session.ReasonExpired,
			Started: sess.Waiting,
		})
	}
	sessions, _ := reply[1].(int64)
	tombs, _ := reply[2].(int64)
	dropped, _ := reply[3].(int64)
	x.Forgotten = int(dropped)
	// A full page that made progress may have more behind it.
	x.More = (sessions == int64(limit) && len(x.Ended) > 0) || (tombs == int64(limit) && dropped > 0)
	session.SortExpired(x.Ended)
	return x, nil
}

// Locations implements session.Store. The three hashes are read in one MULTI, so
// the numbers are of one instant. The generation is checked first.
func (s *Store) Locations(ctx context.Context) (map[string]session.LocationStats, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := s.Generation(ctx); err != nil {
		return nil, fmt.Errorf("redis read locations: %w", err)
	}
	var last, active, stations, booked *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		last = p.HGetAll(ctx, s.keys[keyLast])
		active = p.HGetAll(ctx, s.keys[keyActive])
		stations = p.HGetAll(ctx, s.keys[keyStations])
		booked = p.HGetAll(ctx, s.keys[keyBooked])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis read locations: %w", err)
	}
	out := make(map[string]session.LocationStats, len(last.Val()))
	for name, v := range last.Val() {
		t, err := decodeTime(v)
		if err != nil {
			return nil, fmt.Errorf("redis read locations: %s %q: %w", s.keys[keyLast], name, err)
		}
		a, _ := strconv.Atoi(active.Val()[name])
		st, _ := strconv.Atoi(stations.Val()[name])
		bk, _ := strconv.Atoi(booked.Val()[name])
		out[name] = session.LocationStats{Active: a, Stations: st, Booked: bk, LastEvent: t}
	}
	return out, nil
}

// Ping implements session.Store: Redis answers, and its keys under the prefix
// are of the layout this exporter writes.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	v, err := s.client.Get(ctx, s.keys[keySchema]).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil
	case err != nil:
		return fmt.Errorf("redis: %w", err)
	case v != schemaVersion && v != migratableSchema:
		return fmt.Errorf("redis keys %s* have schema %s, this exporter writes %s: use another --storage.redis.prefix, or the exporter version that wrote them", strings.TrimSuffix(s.keys[keySchema], keyNames[keySchema]), v, schemaVersion)
	}
	return s.Generation(ctx)
}

// AppendOnly reports whether Redis keeps an append-only file, without which a
// Redis restart loses what was acknowledged since its last snapshot.
func (s *Store) AppendOnly(ctx context.Context) (bool, error) {
	info, err := s.client.Info(ctx, "persistence").Result()
	if err != nil {
		return false, fmt.Errorf("redis INFO persistence: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "aof_enabled:"); ok {
			return v == "1", nil
		}
	}
	return false, errors.New("redis INFO persistence has no aof_enabled field")
}

// Close implements session.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.client.Close()
}

func decodeSession(uuid, started, stations, loc, extra string) (session.Session, error) {
	t, err := decodeTime(started)
	if err != nil {
		return session.Session{}, fmt.Errorf("session %q: %w", uuid, err)
	}
	n, err := strconv.Atoi(stations)
	if err != nil {
		return session.Session{}, fmt.Errorf("session %q: stations: %w", uuid, err)
	}
	sess := session.Session{UUID: uuid, Location: loc, Stations: n, Started: t}
	if err := decodeExtra(&sess, extra); err != nil {
		return session.Session{}, fmt.Errorf("session %q: %w", uuid, err)
	}
	return sess, nil
}

// endedSessions decodes a script's list of ended sessions, each {uuid, started,
// stations, location, extra}.
func endedSessions(v any) ([]session.Session, error) {
	list, _ := v.([]any)
	out := make([]session.Session, 0, len(list))
	for _, e := range list {
		f, err := strs(e)
		if err != nil || len(f) != 5 {
			return nil, fmt.Errorf("unexpected session %v", e)
		}
		sess, err := decodeSession(f[0], f[1], f[2], f[3], f[4])
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	return out, nil
}

// encodeTime writes t as 19 zero-padded digits of unix nanoseconds, so that the
// scripts compare times as strings.
func encodeTime(t time.Time) (string, error) {
	n := t.UnixNano()
	if n < 0 || t.Year() > 2200 {
		return "", fmt.Errorf("time %s is outside 1970..2200: is the clock right?", t.Format(time.RFC3339))
	}
	return fmt.Sprintf("%019d", n), nil
}

func decodeTime(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", s, err)
	}
	if n == 0 {
		return time.Time{}, nil // a location known from a poll, without an event
	}
	return time.Unix(0, n), nil
}

// strs reads a script's array of strings.
func strs(v any) ([]string, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not an array: %v", v)
	}
	out := make([]string, len(a))
	for i, x := range a {
		if out[i], ok = x.(string); !ok {
			return nil, fmt.Errorf("element %d is not a string: %v", i, x)
		}
	}
	return out, nil
}
