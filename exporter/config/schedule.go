package config

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/openinghours"
)

// schedule parses a location's timezone, hours and closed_on with openinghours, and
// reports its problems at the lines of the fields at fault. It does nothing when one of
// those fields already has an error of shape, which would only cause more of them.
func (p *parser) schedule(l Location, n *yaml.Node, values map[string]*yaml.Node, path string) *openinghours.Schedule {
	for _, f := range []string{openinghours.FieldTimezone, openinghours.FieldHours, openinghours.FieldClosedOn} {
		if p.faultyUnder(path + "." + f) {
			return nil
		}
	}
	spec := openinghours.Spec{Timezone: l.Timezone, ClosedOn: l.ClosedOn}
	if l.Hours != nil {
		spec.Hours = make(map[string][]string, len(l.Hours))
		for day, h := range l.Hours {
			spec.Hours[day] = h
		}
	}
	s, err := openinghours.Parse(spec)
	var e *openinghours.Error
	if errors.As(err, &e) {
		for _, pr := range e.Problems {
			at, fpath := problemAt(pr, n, values, path)
			p.errorf(at, fpath, "%s", pr.Message)
		}
		return nil
	}
	return s
}

// faultyUnder reports whether the field at path, or a field inside it, has an issue.
func (p *parser) faultyUnder(path string) bool {
	for f := range p.faulty {
		if f == path || strings.HasPrefix(f, path+".") || strings.HasPrefix(f, path+"[") {
			return true
		}
	}
	return false
}

// problemAt finds the node and the field path of an openinghours problem; a range is
// indexed only when the day's value is a list, as the user wrote it.
func problemAt(pr openinghours.Problem, n *yaml.Node, values map[string]*yaml.Node, path string) (*yaml.Node, string) {
	field := values[pr.Field]
	fpath := path + "." + pr.Field
	if field == nil {
		return n, fpath
	}
	switch {
	case pr.Field == openinghours.FieldClosedOn && pr.Index >= 0 && pr.Index < len(field.Content):
		return deref(field.Content[pr.Index]), path + "." + pr.Path()
	case pr.Field == openinghours.FieldHours && pr.Key != "":
		return dayAt(field, pr, fpath+"."+pr.Key)
	}
	return field, fpath
}

// dayAt finds the key node of a day key of hours, or the range at pr.Index in its value.
func dayAt(hours *yaml.Node, pr openinghours.Problem, path string) (*yaml.Node, string) {
	for i := 0; i+1 < len(hours.Content); i += 2 {
		k, v := deref(hours.Content[i]), deref(hours.Content[i+1])
		if k.Value != pr.Key {
			continue
		}
		switch {
		case pr.Index < 0:
			return k, path
		case v.Kind == yaml.SequenceNode && pr.Index < len(v.Content):
			return deref(v.Content[pr.Index]), fmt.Sprintf("%s[%d]", path, pr.Index)
		default:
			return v, path
		}
	}
	return hours, path
}
