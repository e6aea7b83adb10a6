package event

import "strings"

// scanFields reads the fields of raw, a valid JSON object, without reflection: the
// receiver decodes every event of every request, and encoding/json's reflection was
// most of that. It gives up (ok false) on any key that is not plain ASCII without
// escapes, where encoding/json's key folding is left to encoding/json.
func scanFields(raw []byte) (f fields, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return f, false
	}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != '}'; {
		if raw[i] == ',' {
			i = skipSpace(raw, i+1)
			continue
		}
		keyStart, keyEnd, plain := scanKey(raw, i)
		if !plain {
			return f, false
		}
		i = skipSpace(raw, keyEnd+1) // the closing quote
		i = skipSpace(raw, i+1)      // the colon
		end := valueEnd(raw, i)
		f.set(string(raw[keyStart:keyEnd]), raw[i:end]) // no copy: the string does not escape
		i = skipSpace(raw, end)
	}
	return f, true
}

// scanKey returns the bounds of the key string that opens at raw[i], and whether it
// is plain: printable ASCII without a backslash.
func scanKey(raw []byte, i int) (start, end int, plain bool) {
	start = i + 1
	for end = start; end < len(raw) && raw[end] != '"'; end++ {
		if c := raw[end]; c == '\\' || c < 0x20 || c >= 0x7f {
			return 0, 0, false
		}
	}
	return start, end, end < len(raw)
}

// set keeps a value under its field, as encoding/json would: keys match without
// regard to case, and a later duplicate wins.
func (f *fields) set(key string, val []byte) {
	switch key { // the keys as SynthesisVR writes them, before any folding
	case "uuid":
		f.UUID = val
		return
	case "action":
		f.Action = val
		return
	case "location":
		f.Location = val
		return
	case "stations":
		f.Stations = val
		return
	case "customerid":
		f.CustomerID = val
		return
	}
	switch {
	case strings.EqualFold(key, "uuid"):
		f.UUID = val
	case strings.EqualFold(key, "action"):
		f.Action = val
	case strings.EqualFold(key, "location"):
		f.Location = val
	case strings.EqualFold(key, "stations"):
		f.Stations = val
	case strings.EqualFold(key, "customerid"):
		f.CustomerID = val
	}
}
