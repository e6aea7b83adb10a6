package webhook

import (
	"encoding/json"
	"strconv"
)

// appendJSON appends the answer as encoding/json would write it. The receiver
// answers every request with one, and reflection was a fifth of its time.
func (a *Answer) appendJSON(b []byte) []byte {
	b = append(b, `{"received":`...)
	b = strconv.AppendInt(b, int64(a.Received), 10)
	if a.Spooled != 0 {
		b = append(b, `,"spooled":`...)
		b = strconv.AppendInt(b, int64(a.Spooled), 10)
	}
	for _, f := range [...]struct {
		key string
		n   int
	}{
		{`,"applied":`, a.Applied}, {`,"duplicates":`, a.Duplicates}, {`,"unmatched":`, a.Unmatched},
		{`,"late":`, a.Late}, {`,"ignored":`, a.Ignored}, {`,"rejected":`, a.Rejected},
	} {
		b = append(b, f.key...)
		b = strconv.AppendInt(b, int64(f.n), 10)
	}
	b = append(b, `,"errors":`...)
	switch {
	case a.Errors == nil:
		b = append(b, "null"...)
	case len(a.Errors) == 0:
		b = append(b, "[]"...)
	default:
		// Rare (a batch with rejections): encoding/json escapes the messages.
		msgs, _ := json.Marshal(a.Errors)
		b = append(b, msgs...)
	}
	return append(b, '}')
}
