package event

import (
	"bytes"
	"encoding/json"
)

// validNesting is how deep validJSON follows objects and arrays itself; a deeper
// body, which no sender of events writes, is left to encoding/json.
const validNesting = 64

// validJSON reports whether data is valid JSON, exactly as json.Valid does
// (FuzzValidJSON holds it to that), without encoding/json's scanner calling a
// state function for every byte: it was a sixth of the receiver's time.
func validJSON(data []byte) bool {
	var open [validNesting]byte // the '{' or '[' of each container around i
	depth := 0
	i := skipSpace(data, 0)
	for {
		// A value starts at i.
		if i >= len(data) {
			return false
		}
		switch c := data[i]; c {
		case '{', '[':
			if depth == validNesting {
				return json.Valid(data)
			}
			open[depth] = c
			depth++
			i = skipSpace(data, i+1)
			if i < len(data) && data[i] == c+2 { // '}' is '{'+2, ']' is '['+2
				depth--
				i++
				break
			}
			if c == '{' {
				if i = member(data, i); i < 0 {
					return false
				}
			}
			continue
		case '"':
			i = checkString(data, i+1)
		case 't':
			i = literal(data, i, "true")
		case 'f':
			i = literal(data, i, "false")
		case 'n':
			i = literal(data, i, "null")
		default:
			i = numberEnd(data, i)
		}
		if i < 0 {
			return false
		}
		// A value ended at i: close the containers it ends, up to the next value.
		for {
			i = skipSpace(data, i)
			if depth == 0 {
				return i == len(data)
			}
			if i >= len(data) {
				return false
			}
			c := data[i]
			if c == ',' {
				i = skipSpace(data, i+1)
				if open[depth-1] == '{' {
					if i = member(data, i); i < 0 {
						return false
					}
				}
				break
			}
			if c != open[depth-1]+2 {
				return false
			}
			depth--
			i++
		}
	}
}

// member checks an object member's key and colon at data[i:] and returns where its
// value starts, or -1.
func member(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	if i = checkString(data, i+1); i < 0 {
		return -1
	}
	if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
		return -1
	}
	return skipSpace(data, i+1)
}

// checkString checks the string whose contents start at data[i] and returns the
// offset past its closing quote, or -1. Like encoding/json, it takes any byte from
// 0x20 up, UTF-8 or not, and the escapes of RFC 8259.
func checkString(data []byte, i int) int {
	for i < len(data) {
		switch c := data[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			if i+1 >= len(data) {
				return -1
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		case c < 0x20:
			return -1
		default:
			i++
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// literal checks that data[i:] starts with word and returns the offset past it, or -1.
func literal(data []byte, i int, word string) int {
	if !bytes.HasPrefix(data[i:], []byte(word)) {
		return -1
	}
	return i + len(word)
}

// numberEnd checks the number at data[i:] and returns the offset past it, or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(data []byte, i int) int {
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return -1
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		i = digitsEnd(data, i+1)
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		if i = digitsEnd(data, i+1); data[i-1] == '.' {
			return -1
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		start := i
		if i = digitsEnd(data, i); i == start {
			return -1
		}
	}
	return i
}
