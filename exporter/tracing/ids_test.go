package tracing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestTraceID(t *testing.T) {
	hashed := func(uuid string) string {
		sum := sha256.Sum256([]byte(uuid))
		return hex.EncodeToString(sum[:16])
	}
	tests := map[string]struct{ uuid, want string }{
		"documented sample":   {"41509791-3de8-5bb9-b4fc-a9753da95aad", "415097913de85bb9b4fca9753da95aad"},
		"upper case":          {"B7E2C1D0-0000-4000-8000-00000000000B", "b7e2c1d000004000800000000000000b"},
		"without dashes":      {"415097913de85bb9b4fca9753da95aad", "415097913de85bb9b4fca9753da95aad"},
		"not hexadecimal":     {"41509791-3de8-5bb9-b4fc-a9753da95aaz", hashed("41509791-3de8-5bb9-b4fc-a9753da95aaz")},
		"too short":           {"7685", hashed("7685")},
		"too long":            {"41509791-3de8-5bb9-b4fc-a9753da95aad00", hashed("41509791-3de8-5bb9-b4fc-a9753da95aad00")},
		"all zero is invalid": {"00000000-0000-0000-0000-000000000000", hashed("00000000-0000-0000-0000-000000000000")},
		"dashes anywhere":     {"4150-9791-3de8-5bb9-b4fc-a975-3da9-5aad", "415097913de85bb9b4fca9753da95aad"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := TraceID(tc.uuid).String(); got != tc.want {
				t.Errorf("TraceID(%q) = %s, want %s", tc.uuid, got, tc.want)
			}
		})
	}
}

func TestSessionSpanIDIsStableAndDistinct(t *testing.T) {
	a, b := "41509791-3de8-5bb9-b4fc-a9753da95aad", "41509791-3de8-5bb9-b4fc-a9753da95aae"
	if sessionSpanID(a) != sessionSpanID(a) || !sessionSpanID(a).IsValid() {
		t.Fatalf("span id of %s is not stable and valid: %s", a, sessionSpanID(a))
	}
	if sessionSpanID(a) == sessionSpanID(b) {
		t.Fatalf("two uuids share span id %s", sessionSpanID(a))
	}
}

func TestIDGenerator(t *testing.T) {
	g := idGenerator{}
	uuid := "41509791-3de8-5bb9-b4fc-a9753da95aad"
	tid, sid := g.NewIDs(withSession(context.Background(), uuid))
	if tid != TraceID(uuid) || sid != sessionSpanID(uuid) {
		t.Errorf("session root got %s/%s, want %s/%s", tid, sid, TraceID(uuid), sessionSpanID(uuid))
	}
	t1, s1 := g.NewIDs(context.Background())
	t2, s2 := g.NewIDs(context.Background())
	if !t1.IsValid() || !s1.IsValid() || t1 == t2 || s1 == s2 || t1 == tid {
		t.Errorf("other roots got %s/%s and %s/%s; want valid random ids", t1, s1, t2, s2)
	}
	if c := g.NewSpanID(context.Background(), tid); !c.IsValid() || c == sid {
		t.Errorf("child span id %s; want a valid random one", c)
	}
}
