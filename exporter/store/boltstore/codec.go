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
// tombstones by uuid alone.
const schemaVersion = "2"

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
}

// keyIndex remembers the file key of every session and tombstone, since a key
// holds a time that the state no longer has once the record is gone.
type keyIndex struct {
	sessions   map[string][]byte
	tombstones map[string][]byte
}

func newKeyIndex() *keyIndex {
	return &keyIndex{sessions: map[string][]byte{}, tombstones: map[string][]byte{}}
}

// rekey appends the records that put uuid at key (nil: nowhere) in bucket, deleting
// its old record when the key changed, and updates keys.
func (recs records) rekey(bucket []byte, keys map[string][]byte, uuid string, key, val []byte) records {
	old := keys[uuid]
	if old != nil && !bytes.Equal(old, key) {
		recs = append(recs, record{bucket: bucket, key: old})
	}
	if key == nil {
		delete(keys, uuid)
		return recs
	}
	keys[uuid] = key
	return append(recs, record{bucket: bucket, key: key, val: val})
}

// record is one key to write, or to delete when val is nil.
type record struct {
	bucket []byte
	key    []byte
	val    []byte
}

type records []record

// encodeDirty turns the keys a transition touched into the records to write, and
// moves keys along with them.
func encodeDirty(st *session.State, keys *keyIndex, d *session.Dirty) records {
	recs := make(records, 0, len(d.Sessions)+len(d.Tombstones)+len(d.Locations))
	for uuid := range d.Sessions {
		var key, val []byte
		if sess, ok := st.Session(uuid); ok {
			key = timeKey(sess.Started, uuid)
			val, _ = json.Marshal(storedSession{Location: sess.Location, Stations: sess.Stations})
		}
		recs = recs.rekey(bucketSessions, keys.sessions, uuid, key, val)
	}
	for uuid := range d.Tombstones {
		var key []byte
		if until, ok := st.Tombstone(uuid); ok {
			key = timeKey(until, uuid)
		}
		recs = recs.rekey(bucketTombstones, keys.tombstones, uuid, key, []byte{})
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

// load reads the whole file into a new state and its key index, creating the
// buckets of a new file.
func load(db *bolt.DB) (*session.State, *keyIndex, error) {
	st, keys := session.NewState(true), newKeyIndex()
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
			keys.tombstones[uuid] = bytes.Clone(k)
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
			st.Restore(session.Session{UUID: uuid, Location: s.Location, Stations: s.Stations, Started: started})
			keys.sessions[uuid] = bytes.Clone(k)
			return nil
		})
	})
	if err != nil {
		return nil, nil, err
	}
	st.TakeDirty()
	return st, keys, nil
}

func ensureSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(keyVersion); {
	case v == nil:
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
