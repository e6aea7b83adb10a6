package tracing

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TraceID is the trace of the session with this SynthesisVR uuid: the uuid's 16
// bytes when it is 32 hexadecimal digits once its dashes are removed (so a person
// finds the trace by pasting the uuid without dashes), else the first 16 bytes of
// the uuid's SHA-256.
func TraceID(uuid string) trace.TraceID {
	var tid trace.TraceID
	digits := strings.ReplaceAll(uuid, "-", "")
	if len(digits) == 2*len(tid) {
		if _, err := hex.Decode(tid[:], []byte(digits)); err == nil && tid.IsValid() {
			return tid
		}
	}
	sum := sha256.Sum256([]byte(uuid))
	copy(tid[:], sum[:])
	if !tid.IsValid() {
		tid[len(tid)-1] = 1 // an all-zero trace id is invalid; 2^-128 odds, still handled
	}
	return tid
}

// sessionSpanID is the span id of the synthesisvr.session span of uuid. Every
// process derives the same one, so that event spans sent before a restart and the
// session span sent after it form one tree.
func sessionSpanID(uuid string) trace.SpanID {
	var sid trace.SpanID
	sum := sha256.Sum256([]byte("synthesisvr.session\x00" + uuid))
	copy(sid[:], sum[:])
	if !sid.IsValid() {
		sid[len(sid)-1] = 1
	}
	return sid
}

// sessionParent is the span context of uuid's session span, as a remote parent:
// the session span itself is only sent when the session ends.
func sessionParent(uuid string) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    TraceID(uuid),
		SpanID:     sessionSpanID(uuid),
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
}

// sessionKey marks a context whose new root span is uuid's session span.
type sessionKey struct{}

func withSession(ctx context.Context, uuid string) context.Context {
	return context.WithValue(ctx, sessionKey{}, uuid)
}

// idGenerator gives the session span its derived ids and every other span random
// ones. The SDK asks it for ids of root spans only (NewIDs), and for span ids of
// children (NewSpanID). It is safe for concurrent use.
type idGenerator struct{}

var _ sdktrace.IDGenerator = idGenerator{}

// NewIDs implements the sdktrace.IDGenerator interface.
func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if uuid, ok := ctx.Value(sessionKey{}).(string); ok {
		return TraceID(uuid), sessionSpanID(uuid)
	}
	var tid trace.TraceID
	for !tid.IsValid() {
		binary.NativeEndian.PutUint64(tid[:8], rand.Uint64())
		binary.NativeEndian.PutUint64(tid[8:], rand.Uint64())
	}
	return tid, randomSpanID()
}

// NewSpanID implements the sdktrace.IDGenerator interface.
func (idGenerator) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return randomSpanID() }

func randomSpanID() trace.SpanID {
	var sid trace.SpanID
	for !sid.IsValid() {
		binary.NativeEndian.PutUint64(sid[:], rand.Uint64())
	}
	return sid
}
