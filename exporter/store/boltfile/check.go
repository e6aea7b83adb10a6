package boltfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// The bbolt file layout (go.etcd.io/bbolt/internal/common): pages 0 and 1 are
// meta pages, each a 16-byte page header followed by the meta fields below, all
// little-endian on the platforms the exporter is built for.
const (
	pageHeaderSize = 16
	metaMagic      = 0xED0CDAED
	metaVersion    = 2
	// Offsets in the meta, after the page header.
	metaOffMagic    = 0
	metaOffVersion  = 4
	metaOffPageSize = 8
	metaOffPgid     = 40 // high-water mark: pages the file holds
	metaOffTxid     = 48
	metaOffChecksum = 56 // FNV-64a of the 56 bytes before it
	metaSize        = 64
)

// meta is what checkHeader needs of a meta page.
type meta struct {
	pageSize uint32
	pgid     uint64
	txid     uint64
}

// readMeta decodes a meta page, or returns false when it is not one.
func readMeta(b []byte) (meta, bool) {
	if len(b) < pageHeaderSize+metaSize {
		return meta{}, false
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	le := binary.LittleEndian
	if le.Uint32(m[metaOffMagic:]) != metaMagic || le.Uint32(m[metaOffVersion:]) != metaVersion {
		return meta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:metaOffChecksum])
	if h.Sum64() != le.Uint64(m[metaOffChecksum:]) {
		return meta{}, false
	}
	return meta{pageSize: le.Uint32(m[metaOffPageSize:]), pgid: le.Uint64(m[metaOffPgid:]), txid: le.Uint64(m[metaOffTxid:])}, true
}

// checkHeader finds the meta page bbolt would use and checks that the file is as
// long as it says: a truncated file is the usual damage (a full disk, a copy cut
// short), and bbolt would fault reading past its end. It returns what is wrong,
// or "".
func checkHeader(path string, size int64) string {
	f, err := os.Open(path)
	if err != nil {
		return "" // bbolt's own open reports it
	}
	defer f.Close()
	first := make([]byte, 4096)
	n, _ := io.ReadFull(f, first)
	first = first[:n]
	m0, ok0 := readMeta(first)
	var metas []meta
	if ok0 {
		metas = append(metas, m0)
	}
	// The second meta page is one page further, by the first's page size if it
	// is readable, else by the usual 4 KiB.
	off := int64(4096)
	if ok0 {
		off = int64(m0.pageSize)
	}
	second := make([]byte, pageHeaderSize+metaSize)
	if _, err := f.ReadAt(second, off); err == nil {
		if m1, ok := readMeta(second); ok {
			metas = append(metas, m1)
		}
	}
	if len(metas) == 0 {
		return "it is not a bbolt file, or both of its header (meta) pages are damaged"
	}
	sort.Slice(metas, func(i, j int) bool { return metas[i].txid > metas[j].txid })
	m := metas[0]
	if m.pageSize < 512 || m.pageSize > 1<<20 {
		return fmt.Sprintf("its header gives an impossible page size of %d bytes", m.pageSize)
	}
	if want := int64(m.pgid) * int64(m.pageSize); want > size {
		return fmt.Sprintf("it is truncated: it holds %d bytes, its header says %d (%d pages of %d bytes)", size, want, m.pgid, m.pageSize)
	}
	return ""
}

// walk opens the file read-only (loading its freelist) and reads every key and
// value of every bucket: the pages the exporter will read, shown readable. bbolt's
// own tx.Check is not run: it reads in a goroutine of its own, where a fault
// cannot be recovered. It returns the top-level buckets, or what is wrong; err is an open error that is
// not damage (a lock held by another process, a permission).
func walk(path string) (buckets []string, problem string, err error) {
	type result struct {
		buckets []string
		problem string
		err     error
		sum     byte
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		// A fault reading the mapped file becomes a panic here, recovered below,
		// rather than the end of the process.
		debug.SetPanicOnFault(true)
		defer func() {
			if p := recover(); p != nil {
				r.problem = fmt.Sprintf("reading it failed (%v)", p)
			}
			ch <- r
		}()
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockWait, PreLoadFreelist: true})
		if err != nil {
			if errors.Is(err, bolt.ErrInvalid) || errors.Is(err, bolt.ErrChecksum) || errors.Is(err, bolt.ErrVersionMismatch) {
				r.problem = err.Error()
			} else {
				r.err = err
			}
			return
		}
		defer db.Close()
		// The sum of every byte is kept, so that no read is left out as unused.
		r.buckets, r.problem, r.sum = walkDB(db)
	}()
	r := <-ch
	return r.buckets, r.problem, r.err
}

func walkDB(db *bolt.DB) (buckets []string, problem string, sum byte) {
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			buckets = append(buckets, string(name))
			return walkBucket(b, 0, &sum)
		})
	})
	if err != nil {
		return buckets, fmt.Sprintf("it is inconsistent (%v)", err), sum
	}
	return buckets, "", sum
}

// walkBucket reads every byte of every key and value of b and of the buckets
// inside it: bbolt hands out slices of the mapped file, and a slice that a damaged
// page points past the file's end faults only when it is read.
func walkBucket(b *bolt.Bucket, depth int, sum *byte) error {
	if depth > 16 {
		return errors.New("buckets nested deeper than any exporter file")
	}
	return b.ForEach(func(k, v []byte) error {
		for _, c := range k {
			*sum ^= c
		}
		for _, c := range v {
			*sum ^= c
		}
		if v == nil {
			if inner := b.Bucket(k); inner != nil {
				return walkBucket(inner, depth+1, sum)
			}
		}
		return nil
	})
}
