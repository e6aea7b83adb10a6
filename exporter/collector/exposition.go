package collector

import (
	"bufio"
	"bytes"
	"math"
	"strconv"
	"strings"

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

// encoder writes samples into a scrape's buffered body in one of the two formats.
type encoder struct {
	w  *bufio.Writer
	om bool
}

func (e *encoder) header(f *familyDesc) {
	if e.om {
		_, _ = e.w.WriteString(f.header[1])
		return
	}
	_, _ = e.w.WriteString(f.header[0])
}

// float writes one sample line: the parts (name, braces and escaped labels) joined,
// then v. Write errors stick in the bufio.Writer and surface at its Flush.
func (e *encoder) float(v float64, parts ...string) {
	b := e.line(parts)
	b = appendFloat(b, v, e.om)
	_, _ = e.w.Write(append(b, '\n'))
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
	_, _ = e.w.Write(append(b, '\n'))
}

// line starts a sample in the writer's free buffer, so that a line is copied once.
func (e *encoder) line(parts []string) []byte {
	b := e.w.AvailableBuffer()
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
