package collector

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// fastCollector is a collector whose families this package can write straight into
// a scrape's body. Its Collect (the registry path) and its families (the fast path)
// must expose the same series.
type fastCollector interface {
	prometheus.Collector
	// appendFamilies reads the collector's state for one scrape and appends its
	// families that have at least one series. Safe for concurrent use.
	appendFamilies(fams []family) []family
}

// family is one family of a fast collector, read for one scrape and ready to write.
type family struct {
	name  string
	write func(e *encoder)
}

// Registry is a prometheus.Registerer and Gatherer for the whole exporter that also
// writes its own exposition: the location-labelled families (about 45 series per
// location) are written straight from this package's counters and the store's read,
// and only the other collectors go through client_golang's Gather and expfmt, which
// cost about 130 allocations per series. Gather still returns every family, so
// testutil, promhttp and protobuf scrapes see the same metrics. Safe for concurrent use.
type Registry struct {
	// rest holds the collectors expfmt encodes, and a describe-only stand-in for each
	// fast collector so that its names clash with theirs as in one registry.
	rest *prometheus.Registry
	// fast holds the fast collectors themselves, for Gather.
	fast *prometheus.Registry

	mu       sync.RWMutex
	fastOnes []fastCollector
	standIns map[fastCollector]prometheus.Collector
	bodies   sync.Pool // of *body
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry {
	return &Registry{
		rest: prometheus.NewRegistry(), fast: prometheus.NewRegistry(),
		standIns: map[fastCollector]prometheus.Collector{},
		bodies:   sync.Pool{New: func() any { return &body{buf: make([]byte, 0, flushAt+4<<10)} }},
	}
}

// describeOnly stands in for a fast collector in the rest registry: it describes the
// same metrics and collects none.
type describeOnly struct{ c fastCollector }

func (d describeOnly) Describe(ch chan<- *prometheus.Desc) { d.c.Describe(ch) }
func (describeOnly) Collect(chan<- prometheus.Metric)      {}

// Register implements prometheus.Registerer.
func (r *Registry) Register(c prometheus.Collector) error {
	f, ok := c.(fastCollector)
	if !ok {
		return r.rest.Register(c)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	stand := describeOnly{f}
	if err := r.rest.Register(stand); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if d, ok := are.ExistingCollector.(describeOnly); ok {
				are.ExistingCollector = d.c
			}
			are.NewCollector = c
			return are
		}
		return err
	}
	if err := r.fast.Register(f); err != nil {
		r.rest.Unregister(stand)
		return err
	}
	r.fastOnes = append(r.fastOnes, f)
	r.standIns[f] = stand
	return nil
}

// MustRegister implements prometheus.Registerer.
func (r *Registry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister implements prometheus.Registerer.
func (r *Registry) Unregister(c prometheus.Collector) bool {
	f, ok := c.(fastCollector)
	if !ok {
		return r.rest.Unregister(c)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	stand, ok := r.standIns[f]
	if !ok {
		return false
	}
	delete(r.standIns, f)
	r.fastOnes = slices.DeleteFunc(r.fastOnes, func(o fastCollector) bool { return o == f })
	r.rest.Unregister(stand)
	return r.fast.Unregister(f)
}

// Gather implements prometheus.Gatherer: every family, through client_golang (the
// registry path).
func (r *Registry) Gather() ([]*dto.MetricFamily, error) {
	return prometheus.Gatherers{r.rest, r.fast}.Gather()
}

// MustGather calls Gather and panics on an error.
func (r *Registry) MustGather() []*dto.MetricFamily {
	mfs, err := r.Gather()
	if err != nil {
		panic(err)
	}
	return mfs
}

// Describe implements prometheus.Collector, as a prometheus.Registry does. The
// stand-ins in rest describe the fast collectors.
func (r *Registry) Describe(ch chan<- *prometheus.Desc) { r.rest.Describe(ch) }

// Collect implements prometheus.Collector, as a prometheus.Registry does.
func (r *Registry) Collect(ch chan<- prometheus.Metric) {
	r.rest.Collect(ch)
	r.fast.Collect(ch)
}

// errFormat is returned for a format Expose's writer cannot write; such scrapes
// (protobuf, OpenMetrics 2.0) go through Gather and expfmt.
var errFormat = errors.New("format not written by the fast path")

// Expose reads every family for one scrape, or those named in names if any, and
// returns a function writing them to w in format: text 0.0.4 or OpenMetrics 1.0.0
// (Writes says which formats). Families come in name order, with the same series
// and bytes as expfmt would write from Gather. An error gathering the other collectors
// is returned before anything is written, so a handler can still answer 500.
func (r *Registry) Expose(names []string) (func(w io.Writer, format expfmt.Format) error, error) {
	// The other collectors first, then the fast ones, in the order Gather reads them.
	mfs, err := r.rest.Gather()
	if err != nil {
		return nil, err
	}
	r.mu.RLock()
	fastOnes := slices.Clone(r.fastOnes)
	r.mu.RUnlock()
	var fams []family
	for _, f := range fastOnes {
		fams = f.appendFamilies(fams)
	}
	if len(names) > 0 {
		fams = slices.DeleteFunc(fams, func(f family) bool { return !slices.Contains(names, f.name) })
		mfs = slices.DeleteFunc(mfs, func(mf *dto.MetricFamily) bool { return !slices.Contains(names, mf.GetName()) })
	}
	slices.SortFunc(fams, func(a, b family) int { return cmp.Compare(a.name, b.name) })
	return func(w io.Writer, format expfmt.Format) error { return r.write(w, format, mfs, fams) }, nil
}

// Writes reports whether Expose's writer writes format: text 0.0.4 and OpenMetrics
// 0.0.1 and 1.0.0, not protobuf nor OpenMetrics 2.0.
func (r *Registry) Writes(format expfmt.Format) bool {
	switch format.FormatType() {
	case expfmt.TypeTextPlain:
		return true
	case expfmt.TypeOpenMetrics:
		v := format.Version()
		return v == expfmt.OpenMetricsVersion_1_0_0 || v == expfmt.OpenMetricsVersion_0_0_1
	}
	return false
}

// write merges the gathered families and the fast ones by name, as one registry
// would have sorted them, into one buffered writer shared with expfmt's encoder.
func (r *Registry) write(w io.Writer, format expfmt.Format, mfs []*dto.MetricFamily, fams []family) error {
	if !r.Writes(format) {
		return fmt.Errorf("%w: %s", errFormat, format)
	}
	b := r.bodies.Get().(*body)
	b.w, b.err = w, nil
	defer func() {
		b.w, b.buf = nil, b.buf[:0]
		r.bodies.Put(b)
	}()
	enc := expfmt.NewEncoder(b, format)
	e := &encoder{b: b, om: format.FormatType() == expfmt.TypeOpenMetrics}
	for len(mfs) > 0 || len(fams) > 0 {
		if b.err != nil {
			return b.err
		}
		if len(fams) > 0 && (len(mfs) == 0 || fams[0].name < mfs[0].GetName()) {
			fams[0].write(e)
			fams = fams[1:]
			continue
		}
		if err := enc.Encode(mfs[0]); err != nil {
			return fmt.Errorf("encoding %s: %w", mfs[0].GetName(), err)
		}
		mfs = mfs[1:]
	}
	// Last, so that OpenMetrics's "# EOF" ends the body.
	if err := enc.(expfmt.Closer).Close(); err != nil {
		return err
	}
	return b.flush()
}
