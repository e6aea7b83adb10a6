package openinghours

import (
	"fmt"
	"strings"
)

// Fields of Spec as the config file names them, for Problem.Field.
const (
	FieldTimezone = "timezone"
	FieldHours    = "hours"
	FieldClosedOn = "closed_on"
)

// Problem is one error in a location's opening hours, naming the field at fault so that
// the config file can point at its line.
type Problem struct {
	// Field is FieldTimezone, FieldHours or FieldClosedOn.
	Field string
	// Key is the day key of hours at fault, as written; empty for the other fields.
	Key string
	// Index is the position in the key's list of ranges, or in closed_on; -1 when the
	// problem is the key or the field as a whole.
	Index int
	// Message says what is wrong and how to fix it.
	Message string
}

// Path names the field at fault, e.g. hours.mon-fri[1] or closed_on[0].
func (p Problem) Path() string {
	path := p.Field
	if p.Key != "" {
		path += "." + p.Key
	}
	if p.Index >= 0 {
		path += fmt.Sprintf("[%d]", p.Index)
	}
	return path
}

// String formats the problem as path: message.
func (p Problem) String() string { return p.Path() + ": " + p.Message }

// Error lists every problem found in a Spec.
type Error struct {
	Problems []Problem
}

// Error returns the problems separated by semicolons.
func (e *Error) Error() string {
	s := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}
