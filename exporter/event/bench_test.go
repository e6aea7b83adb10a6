package event

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkDecode(b *testing.B) {
	events := make([]string, 100)
	for i := range events {
		events[i] = fmt.Sprintf(`{"uuid": "41509791-3de8-5bb9-b4fc-%012d", "action": "create", "location": "Kamen Test", "stations": %d, "customerid": %d}`, i, i%8+1, 7000+i)
	}
	bodies := map[string]string{
		"1 event":    sampleCreate,
		"100 events": "[" + strings.Join(events, ",\n") + "]",
	}
	for _, name := range []string{"1 event", "100 events"} {
		body := []byte(bodies[name])
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := Decode(body, 1000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
