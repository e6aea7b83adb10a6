package redisstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// Sessions implements session.Store.
func (s *Store) Sessions(ctx context.Context) ([]session.Session, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var mains, extras *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		mains = p.HGetAll(ctx, s.keys[keySessions])
		extras = p.HGetAll(ctx, s.keys[keyExtra])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis read sessions: %w", err)
	}
	all := mains.Val()
	out := make([]session.Session, 0, len(all))
	for uuid, v := range all {
		sess, err := parseSession(uuid, v, extras.Val()[uuid])
		if err != nil {
			return nil, fmt.Errorf("redis read sessions: %w", err)
		}
		out = append(out, sess)
	}
	return out, nil
}

// parseSession reads a session stored as "<started> <stations> <location>", with
// its session_schedule record (empty when none).
func parseSession(uuid, v, extra string) (session.Session, error) {
	f := strings.SplitN(v, " ", 3)
	if len(f) != 3 {
		return session.Session{}, fmt.Errorf("session %q: stored value %q is not \"<started> <stations> <location>\"", uuid, v)
	}
	return decodeSession(uuid, f[0], f[1], f[2], extra)
}

// End implements session.Store: one script, so of concurrent ends on any
// replica exactly one finds the session.
func (s *Store) End(ctx context.Context, uuid string, now time.Time) (session.Outcome, bool, error) {
	if s.closed.Load() {
		return session.Outcome{}, false, ErrClosed
	}
	until, err := encodeTime(now.Add(session.TombstoneTTL))
	if err != nil {
		return session.Outcome{}, false, err
	}
	reply, err := endScript.Run(ctx, s.client, s.keys, schemaVersion, uuid, until).Slice()
	if err != nil {
		return session.Outcome{}, false, fmt.Errorf("redis end script: %w", err)
	}
	if len(reply) == 0 {
		return session.Outcome{}, false, nil
	}
	f, err := strs(reply)
	if err != nil || len(f) != 4 {
		return session.Outcome{}, false, fmt.Errorf("redis end script: unexpected reply %v", reply)
	}
	sess, err := decodeSession(uuid, f[0], f[1], f[2], f[3])
	if err != nil {
		return session.Outcome{}, false, fmt.Errorf("redis end script: %w", err)
	}
	return session.AdminOutcome(sess, now), true, nil
}

// Forget implements session.Store: one script ends the location's sessions and
// removes it.
func (s *Store) Forget(ctx context.Context, location string, now time.Time, force bool) ([]session.Outcome, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	until, err := encodeTime(now.Add(session.TombstoneTTL))
	if err != nil {
		return nil, err
	}
	f := "0"
	if force {
		f = "1"
	}
	reply, err := forgetScript.Run(ctx, s.client, s.keys, schemaVersion, location, until, f).Slice()
	if err != nil {
		return nil, fmt.Errorf("redis forget script: %w", err)
	}
	switch status, _ := reply[0].(string); {
	case status == "unknown":
		return nil, fmt.Errorf("%w: %q", session.ErrUnknownLocation, location)
	case status == "busy" && len(reply) == 2:
		return nil, fmt.Errorf("%w: %q has %v", session.ErrLocationBusy, location, reply[1])
	case status != "forgotten" || len(reply) != 2:
		return nil, fmt.Errorf("redis forget script: unexpected reply %v", reply)
	}
	ended, err := endedSessions(reply[1])
	if err != nil {
		return nil, fmt.Errorf("redis forget script: %w", err)
	}
	out := make([]session.Outcome, 0, len(ended))
	for _, sess := range ended {
		out = append(out, session.AdminOutcome(sess, now))
	}
	session.SortExpired(out)
	return out, nil
}

// Forgotten implements session.Store: the replicas' collectors read it at every
// scrape.
func (s *Store) Forgotten(ctx context.Context) ([]string, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	out, err := s.client.SMembers(ctx, s.keys[keyForgotten]).Result()
	if err != nil {
		return nil, fmt.Errorf("redis read forgotten locations: %w", err)
	}
	return out, nil
}
