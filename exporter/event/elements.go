package event

import (
	"bytes"
	"iter"
)

// elements yields the start and end offsets of each element of the JSON array that opens
// at body[open]. The body must be valid JSON: the scan only skips strings and follows
// nesting, which is enough to find where each top-level element ends without decoding it.
func elements(body []byte, open int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		for i := skipSpace(body, open+1); i < len(body) && body[i] != ']'; {
			end := valueEnd(body, i)
			if !yield(i, end) {
				return
			}
			if i = skipSpace(body, end); i < len(body) && body[i] == ',' {
				i = skipSpace(body, i+1)
			}
		}
	}
}

// valueEnd returns the end of the JSON value that starts at raw[i], which is valid.
// Strings are skipped a quote at a time rather than a byte at a time: they are most
// of an event.
func valueEnd(raw []byte, i int) int {
	depth := 0
	for j := i; j < len(raw); j++ {
		switch raw[j] {
		case '"':
			j = stringEnd(raw, j+1) - 1
			if depth == 0 {
				return j + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			depth--
			if depth == 0 {
				return j + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return j
			}
		}
	}
	return len(raw)
}

// stringEnd returns the offset just past the quote that closes the string whose
// contents start at raw[i]: the first quote after an even run of backslashes.
func stringEnd(raw []byte, i int) int {
	for {
		k := bytes.IndexByte(raw[i:], '"')
		if k < 0 {
			return len(raw)
		}
		q := i + k
		slashes := 0
		for q-1-slashes >= i && raw[q-1-slashes] == '\\' {
			slashes++
		}
		if slashes%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}
