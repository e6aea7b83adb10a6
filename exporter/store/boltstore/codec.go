package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

var (
	bucketMeta       = []byte("meta")
	bucketSessions   = []byte("sessions")
	bucketTombstones = []byte("tombstones")
	bucketLocations  = []byte("locations")
	keyVersion       = []byte("version")
	keyProbe         = []byte("probe") // when a probe write last succeeded
)

// bucketNames are the top-level buckets of a store file.
func bucketNames() []string {
	return []string{string(bucketMeta), string(bucketSessions), string(bucketTombstones), string(bucketLocations)}
}

// schemaVersion changes when the file's layout does; older files are refused
// rather than misread. Version 1 (development builds only) keyed sessions and
// tombstones by uuid alone. Version 3 adds a session's schedule, phase and lookup
// to its record; a version 2 file is migrated at open by rewriting the version
// alone, since its records read as what they were: sessions without a schedule,
// their start counted.
const schemaVersion = "3"

// migratable are the older versions that open as the current one.
var migratable = map[string]bool{"2": true}

// Sessions are keyed by their start and tombstones by their end of life, each
// followed by the uuid: new records go to the end of their bucket, and those that
// end together sit together, so a commit rewrites a few B+tree pages instead of one
// page per event (random uuid keys were most of a commit's time).
func timeKey(t time.Time, uuid string) []byte {
	return append(encodeTime(t), uuid...)
}

// splitKey returns the time and uuid of a time key.
func splitKey(k []byte) (time.Time, string, error) {
	if len(k) <= 8 {
		return time.Time{}, "", fmt.Errorf("key %q is not a time followed by a uuid", k)
	}
	return decodeTime(k[:8]), string(k[8:]), nil
}

// storedSession is a session as written to the file; its start and uuid are the key.
type storedSession struct {
	Location string `json:"location"`
	Stations int    `json:"stations"`
	// Since version 3; absent for a session without a schedule or lookup.
	Phase    string          `json:"phase,omitempty"`
	Waiting  bool            `json:"waiting,omitempty"`
	Schedule *storedSchedule `json:"schedule,omitempty"`
	Lookup   *storedLookup   `json:"lookup,omitempty"`
}

// storedSchedule is a session.Schedule, its times in unix nanoseconds.
type storedSchedule struct {
	Start      int64   `json:"start"`
	End        int64   `json:"end"`
	Experience string  `json:"experience,omitempty"`
	Cost       float64 `json:"cost,omitempty"`
	Stations   int     `json:"stations,omitempty"`
}

// storedLookup is a session.Lookup, its time in unix nanoseconds.
type storedLookup struct {
	Needed   bool  `json:"needed,omitempty"`
	Attempts int   `json:"attempts,omitempty"`
	NextTry  int64 `json:"next_try,omitempty"`
	GaveUp   bool  `json:"gave_up,omitempty"`
}

func encodeSession(sess session.Session) storedSession {
	r := storedSession{Location: sess.Location, Stations: sess.Stations, Phase: sess.Phase, Waiting: sess.Waiting}
	if sc := sess.Schedule; sc.Known() {
		r.Schedule = &storedSchedule{Start: sc.Start.UnixNano(), End: sc.End.UnixNano(),
			Experience: sc.Experience, Cost: sc.Cost, Stations: sc.Stations}
	}
	if l := sess.Lookup; l != (session.Lookup{}) {
		r.Lookup = &storedLookup{Needed: l.Needed, Attempts: l.Attempts, GaveUp: l.GaveUp}
		if !l.NextTry.IsZero() {
			r.Lookup.NextTry = l.NextTry.UnixNano()
		}
	}
	return r
}

func (r storedSession) decode(uuid string, started time.Time) session.Session {
	sess := session.Session{UUID: uuid, Location: r.Location, Stations: r.Stations, Started: started,
		Phase: r.Phase, Waiting: r.Waiting}
	if sc := r.Schedule; sc != nil {
		sess.Schedule = session.Schedule{Start: time.Unix(0, sc.Start), End: time.Unix(0, sc.End),
			Experience: sc.Experience, Cost: sc.Cost, Stations: sc.Stations}
	}
	if l := r.Lookup; l != nil {
		sess.Lookup = session.Lookup{Needed: l.Needed, Attempts: l.Attempts, GaveUp: l.GaveUp}
		if l.NextTry != 0 {
			sess.Lookup.NextTry = time.Unix(0, l.NextTry)
		}
	}
	return sess
}

// rekey appends the records that move a record of bucket from old to key (nil:
// none), with val.
func (recs records) rekey(bucket, old, key, val []byte) records {
	if old != nil && !bytes.Equal(old, key) {
		recs = append(recs, record{bucket: bucket, key: old})
	}
	if key == nil {
		return recs
	}
	return append(recs, record{bucket: bucket, key: key, val: val})
}

// oldKey is the key a record had before a change, from the time the state
// recorded (zero: it had none).
func oldKey(t time.Time, uuid string) []byte {
	if t.IsZero() {
		return nil
	}
	return timeKey(t, uuid)
}

// record is one key to write, or to delete when val is nil.
type record struct {
	bucket []byte
	key    []byte
	val    []byte
}

type records []record

// encodeDirty turns the keys a transition touched into the records to write.
func encodeDirty(st *session.State, d *session.Dirty) records {
	recs := make(records, 0, len(d.Sessions)+len(d.Tombstones)+len(d.Locations))
	for uuid, started := range d.Sessions {
		var key, val []byte
		if sess, ok := st.Session(uuid); ok {
			key = timeKey(sess.Started, uuid)
			val, _ = json.Marshal(encodeSession(sess))
		}
		recs = recs.rekey(bucketSessions, oldKey(started, uuid), key, val)
	}
	for uuid, until := range d.Tombstones {
		var key []byte
		if u, ok := st.Tombstone(uuid); ok {
			key = timeKey(u, uuid)
		}
		recs = recs.rekey(bucketTombstones, oldKey(until, uuid), key, []byte{})
	}
	for name := range d.Locations {
		r := record{bucket: bucketLocations, key: []byte(name)}
		if l, ok := st.Location(name); ok {
			r.val = encodeTime(l.LastEvent)
		}
		recs = append(recs, r)
	}
	return recs
}

func (recs records) write(tx *bolt.Tx) error {
	for _, r := range recs {
		b := tx.Bucket(r.bucket)
		var err error
		if r.val == nil {
			err = b.Delete(r.key)
		} else {
			err = b.Put(r.key, r.val)
		}
		if err != nil {
			return fmt.Errorf("%s %q: %w", r.bucket, r.key, err)
		}
	}
	return nil
}

// load reads the whole file into a new state, creating the buckets of a new file.
func load(db *bolt.DB) (*session.State, error) {
	st := session.NewState(true)
	err := db.Update(func(tx *bolt.Tx) error {
		if err := ensureSchema(tx); err != nil {
			return err
		}
		if err := tx.Bucket(bucketLocations).ForEach(func(k, v []byte) error {
			st.RestoreLocation(string(k), decodeTime(v))
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketTombstones).ForEach(func(k, _ []byte) error {
			until, uuid, err := splitKey(k)
			if err != nil {
				return fmt.Errorf("tombstone: %w", err)
			}
			st.RestoreTombstone(uuid, until)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			started, uuid, err := splitKey(k)
			if err != nil {
				return fmt.Errorf("session: %w", err)
			}
			var s storedSession
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("session %q: %w", uuid, err)
			}
			st.Restore(s.decode(uuid, started))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	st.TakeDirty()
	return st, nil
}

func ensureSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(keyVersion); {
	case v == nil || migratable[string(v)]:
		if err := meta.Put(keyVersion, []byte(schemaVersion)); err != nil {
			return err
		}
	case string(v) != schemaVersion:
		return fmt.Errorf("file schema version %q, this exporter reads %q: use the exporter version that wrote it, or start from a new file", v, schemaVersion)
	}
	for _, name := range [][]byte{bucketSessions, bucketTombstones, bucketLocations} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

func encodeTime(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))
}

func decodeTime(b []byte) time.Time {
	if len(b) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)))
}
