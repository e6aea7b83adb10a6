package event

import "iter"

// elements yields the start and end offsets of each element of the JSON array that opens
// at body[open]. The body must be valid JSON: the scan only tracks strings and nesting,
// which is enough to find the commas that separate top-level elements without decoding
// them. An element's end may include trailing white space.
func elements(body []byte, open int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		s := scanner{start: -1}
		for i := open; i < len(body); i++ {
			if !s.step(body[i], i) {
				continue
			}
			if s.start >= 0 && !yield(s.start, i) {
				return
			}
			if s.depth == 0 {
				return
			}
			s.start = -1
		}
	}
}

// scanner follows strings and nesting across the bytes of a valid JSON array.
type scanner struct {
	depth    int
	inString bool
	escaped  bool
	start    int // offset of the current top-level element, or -1 between elements
}

// step consumes byte c at offset i and reports whether it ends a top-level element.
func (s *scanner) step(c byte, i int) bool {
	if s.inString {
		switch {
		case s.escaped:
			s.escaped = false
		case c == '\\':
			s.escaped = true
		case c == '"':
			s.inString = false
		}
		return false
	}
	if s.depth == 1 && s.start < 0 && !isSpace(c) && c != ',' && c != ']' {
		s.start = i
	}
	switch c {
	case '"':
		s.inString = true
	case '[', '{':
		s.depth++
	case ']', '}':
		s.depth--
		return s.depth == 0
	case ',':
		return s.depth == 1
	}
	return false
}
