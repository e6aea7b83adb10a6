package boltstore

import (
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
)

// schemaVersion changes when the file's layout does; older files are refused
// rather than misread.
const schemaVersion = "1"

// storedSession is a session as written to the file. The uuid is the key.
type storedSession struct {
	Location string `json:"location"`
	Stations int    `json:"stations"`
	Started  int64  `json:"started_unix_nano"`
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
	for uuid := range d.Sessions {
		r := record{bucket: bucketSessions, key: []byte(uuid)}
		if sess, ok := st.Session(uuid); ok {
			r.val, _ = json.Marshal(storedSession{Location: sess.Location, Stations: sess.Stations, Started: sess.Started.UnixNano()})
		}
		recs = append(recs, r)
	}
	for uuid := range d.Tombstones {
		r := record{bucket: bucketTombstones, key: []byte(uuid)}
		if until, ok := st.Tombstone(uuid); ok {
			r.val = encodeTime(until)
		}
		recs = append(recs, r)
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
		if err := tx.Bucket(bucketTombstones).ForEach(func(k, v []byte) error {
			st.RestoreTombstone(string(k), decodeTime(v))
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var s storedSession
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("session %q: %w", k, err)
			}
			st.Restore(session.Session{UUID: string(k), Location: s.Location, Stations: s.Stations, Started: time.Unix(0, s.Started)})
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
