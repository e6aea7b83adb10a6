package collector

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// The location-labelled families are written here directly in the text exposition
// formats, byte for byte as expfmt writes the same families gathered by a registry
// (text 0.0.4: text_create.go; OpenMetrics 1.0.0: openmetrics_create.go), without
// building a dto.Metric per series. TestFastPathMatchesRegistry holds the two to it.

// kind is a family's type, as written on its TYPE line.
type kind string

const (
	kindCounter   kind = "counter"
	kindGauge     kind = "gauge"
	kindHistogram kind = "histogram"
)

// familyDesc is one family this package writes itself: its name, its Desc for the
// registry path, and its HELP and TYPE lines ready in both formats.
type familyDesc struct {
	name string
	desc *prometheus.Desc
	// header[0] is for text 0.0.4, header[1] for OpenMetrics.
	header [2]string
}

func newFamilyDesc(name, help string, k kind, labels ...string) *familyDesc {
	fq := prometheus.BuildFQName(namespace, "", name)
	// OpenMetrics names a counter family without its _total suffix; its samples keep it.
	omName := fq
	if k == kindCounter {
		omName = strings.TrimSuffix(fq, "_total")
	}
	return &familyDesc{
		name: fq,
		desc: prometheus.NewDesc(fq, help, labels, nil),
		header: [2]string{
			"# HELP " + fq + " " + helpEscaper.Replace(help) + "\n# TYPE " + fq + " " + string(k) + "\n",
			"# HELP " + omName + " " + labelEscaper.Replace(help) + "\n# TYPE " + omName + " " + string(k) + "\n",
		},
	}
}

// The escapers of expfmt: HELP text in the text format escapes backslash and newline;
// label values in both formats, and HELP text in OpenMetrics, escape double quotes too.
var (
	helpEscaper  = strings.NewReplacer("\\", `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer("\\", `\\`, "\n", `\n`, "\"", `\"`)
)

// escapeLabel returns v as written between the double quotes of a label value.
func escapeLabel(v string) string {
	if !strings.ContainsAny(v, "\\\n\"") {
		return v
	}
	return labelEscaper.Replace(v)
}

// body buffers a scrape's body on its way to the (possibly gzip) writer. It is the
// writer expfmt's encoder writes the other families to, and the encoder below appends
// its lines to buf directly, so that a line is built in place and copied once.
type body struct {
	buf []byte
	w   io.Writer
	err error
}

// flushAt is the size at which body hands its buffer on; gzip takes it in 64 KiB
// blocks anyway.
const flushAt = 64 << 10

func (b *body) maybeFlush() {
	if len(b.buf) >= flushAt {
		b.flush()
	}
}

// flush hands the buffer on; the first error sticks and ends the writing.
func (b *body) flush() error {
	if b.err == nil && len(b.buf) > 0 {
		_, b.err = b.w.Write(b.buf)
	}
	b.buf = b.buf[:0]
	return b.err
}

func (b *body) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	b.maybeFlush()
	return len(p), b.err
}

func (b *body) WriteString(s string) (int, error) {
	b.buf = append(b.buf, s...)
	b.maybeFlush()
	return len(s), b.err
}

func (b *body) WriteByte(c byte) error {
	b.buf = append(b.buf, c)
	b.maybeFlush()
	return b.err
}

func (b *body) WriteRune(r rune) (int, error) {
	n := len(b.buf)
	b.buf = utf8.AppendRune(b.buf, r)
	b.maybeFlush()
	return len(b.buf) - n, b.err
}

// encoder writes samples into a scrape's body in one of the two formats.
type encoder struct {
	b  *body
	om bool
}

func (e *encoder) header(f *familyDesc) {
	if e.om {
		_, _ = e.b.WriteString(f.header[1])
		return
	}
	_, _ = e.b.WriteString(f.header[0])
}

// float writes one sample line: the parts (name, braces and escaped labels) joined,
// then v. A write error sticks in the body and ends the scrape at the next family.
func (e *encoder) float(v float64, parts ...string) {
	b := e.line(parts)
	b = appendFloat(b, v, e.om)
	e.b.buf = append(b, '\n')
	e.b.maybeFlush()
}

// count writes a histogram's bucket or count sample: a float in the text format, an
// integer in OpenMetrics, as expfmt does.
func (e *encoder) count(n uint64, parts ...string) {
	b := e.line(parts)
	if e.om {
		b = strconv.AppendUint(b, n, 10)
	} else {
		b = appendFloat(b, float64(n), false)
	}
	e.b.buf = append(b, '\n')
	e.b.maybeFlush()
}

func (e *encoder) line(parts []string) []byte {
	b := e.b.buf
	for _, p := range parts {
		b = append(b, p...)
	}
	return append(b, ' ')
}

// appendFloat formats f like expfmt's writeFloat (text) or writeOpenMetricsFloat.
func appendFloat(b []byte, f float64, om bool) []byte {
	switch {
	case f == 1 && om:
		return append(b, "1.0"...)
	case f == 1:
		return append(b, '1')
	case f == 0 && om:
		return append(b, "0.0"...)
	case f == 0:
		return append(b, '0')
	case f == -1 && om:
		return append(b, "-1.0"...)
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	if f > 0 && f < 1e6 && f == math.Trunc(f) {
		// What 'g' writes for a whole number below 1e6 (its exponent is below 6), faster.
		b = strconv.AppendInt(b, int64(f), 10)
		if om {
			b = append(b, '.', '0')
		}
		return b
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if om && !bytes.ContainsAny(b[n:], "e.") {
		b = append(b, '.', '0')
	}
	return b
}

// bucketLabels returns the le label of each bound and of +Inf, as written after the
// other labels of a bucket sample (`,le="60"}` or `,le="60.0"}`).
func bucketLabels(bounds []float64, om bool) []string {
	out := make([]string, 0, len(bounds)+1)
	for _, ub := range append(bounds[:len(bounds):len(bounds)], math.Inf(+1)) {
		out = append(out, `,le="`+string(appendFloat(nil, ub, om))+`"}`)
	}
	return out
}
