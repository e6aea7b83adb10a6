package spool

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
)

// bucket holds the spooled batches, keyed by a big-endian sequence number, so a
// cursor walks them in the order they came.
var bucket = []byte("batches")

// record is a spooled batch as written to the file.
type record struct {
	// Received is when the request came: its sessions start then, not at replay.
	Received     int64 `json:"received_unix_nano"`
	MaxLocations int   `json:"max_locations,omitempty"`
	// The session limits in force when the request came; left out by older files.
	MaxActive           int      `json:"max_active,omitempty"`
	MaxActiveAtLocation int      `json:"max_active_at_location,omitempty"`
	Exempt              []string `json:"exempt,omitempty"`
	Changes             []change `json:"changes"`
}

type change struct {
	UUID     string `json:"uuid"`
	Action   string `json:"action"`
	Location string `json:"location"`
	Stations int    `json:"stations"`
}

func put(tx *bolt.Tx, b session.Batch) error {
	bk, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return err
	}
	seq, err := bk.NextSequence()
	if err != nil {
		return err
	}
	r := record{Received: b.Now.UnixNano(), MaxLocations: b.MaxLocations, Changes: make([]change, len(b.Changes)),
		MaxActive: b.MaxActive, MaxActiveAtLocation: b.MaxActiveAtLocation}
	seen := map[string]bool{}
	for i, c := range b.Changes {
		r.Changes[i] = change{UUID: c.UUID, Action: c.Action, Location: c.Location, Stations: c.Stations}
		// Only the exemptions this batch can use, not the whole configuration.
		if b.Exempt[c.Location] && !seen[c.Location] {
			seen[c.Location] = true
			r.Exempt = append(r.Exempt, c.Location)
		}
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return bk.Put(binary.BigEndian.AppendUint64(nil, seq), v)
}

func decode(v []byte) (session.Batch, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return session.Batch{}, fmt.Errorf("decode spooled batch: %w", err)
	}
	b := session.Batch{Now: time.Unix(0, r.Received), MaxLocations: r.MaxLocations, Changes: make([]session.Change, len(r.Changes)),
		MaxActive: r.MaxActive, MaxActiveAtLocation: r.MaxActiveAtLocation}
	for i, c := range r.Changes {
		b.Changes[i] = session.Change{UUID: c.UUID, Action: c.Action, Location: c.Location, Stations: c.Stations}
	}
	if len(r.Exempt) > 0 {
		b.Exempt = make(map[string]bool, len(r.Exempt))
		for _, l := range r.Exempt {
			b.Exempt[l] = true
		}
	}
	return b, nil
}

// eventsIn counts the events of a batch that cannot be decoded whole: its changes
// if their list can still be read, else 1 (the batch held at least one).
func eventsIn(v []byte) int {
	var r struct {
		Changes []json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal(v, &r); err == nil && len(r.Changes) > 0 {
		return len(r.Changes)
	}
	return 1
}

// count returns how many batches and events wait in the file.
func count(db *bolt.DB) (batches, events int, err error) {
	err = db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucket)
		if bk == nil {
			return nil
		}
		return bk.ForEach(func(_, v []byte) error {
			batches++
			if b, err := decode(v); err == nil {
				events += len(b.Changes)
			} else {
				events += eventsIn(v)
			}
			return nil
		})
	})
	return batches, events, err
}
