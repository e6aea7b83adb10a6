package event

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzScanFields holds scanFields to encoding/json: on every valid JSON object it
// accepts, each field has the bytes encoding/json would have kept.
func FuzzScanFields(f *testing.F) {
	for _, s := range []string{
		sampleCreate[1 : len(sampleCreate)-1],
		`{"UUID":"a","Action":" Create ","uuid":"b"}`,
		`{"uuid" : "a\"}" , "x":{"y":[1,{"z":"}"}]}, "stations": 2.0 ,"customerid":null}`,
		`{"location":null,"stations":"3","cUsToMeRiD":-1}`,
		`{"\u0075uid":"escaped key"}`,
		`{"uuid":"a","uuid":"b"}`,
		`{}`, ` { "a" : [ ] } `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var want fields
		if !json.Valid(raw) || firstByte(raw) != '{' || json.Unmarshal(raw, &want) != nil {
			return
		}
		got, ok := scanFields(raw)
		if !ok {
			return // left to encoding/json
		}
		for _, p := range [][3][]byte{
			{[]byte("uuid"), got.UUID, want.UUID}, {[]byte("action"), got.Action, want.Action},
			{[]byte("location"), got.Location, want.Location}, {[]byte("stations"), got.Stations, want.Stations},
			{[]byte("customerid"), got.CustomerID, want.CustomerID},
		} {
			if !bytes.Equal(p[1], p[2]) || (p[1] == nil) != (p[2] == nil) {
				t.Fatalf("%s: scanFields %q, encoding/json %q, in %q", p[0], p[1], p[2], raw)
			}
		}
	})
}

// FuzzElements holds the array scanner to encoding/json: on every valid JSON array,
// it finds the elements encoding/json finds, byte for byte.
func FuzzElements(f *testing.F) {
	for _, s := range []string{
		sampleCreate, `[]`, ` [ 1 , "a\\" , {"b":"]\"}"} , [[],{}] , null,true ] `,
		`["\\\\\"", "\\", "x\"y"]`, `[{"a":[1,2,{"c":"}"}]},-1.5e3,"",{}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var want []json.RawMessage
		open := skipSpace(body, 0)
		if !json.Valid(body) || firstByte(body[open:]) != '[' || json.Unmarshal(body, &want) != nil {
			return
		}
		var got [][]byte
		for start, end := range elements(body, open) {
			got = append(got, body[start:end])
		}
		if len(got) != len(want) {
			t.Fatalf("%d elements, encoding/json finds %d, in %q", len(got), len(want), body)
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("element %d: %q, encoding/json %q, in %q", i, got[i], want[i], body)
			}
		}
	})
}

// FuzzValidJSON holds validJSON to json.Valid on every input.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{
		sampleCreate, documentedCreate, ``, ` `, `[]`, `{}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`,
		`-0.5e+10`, `01`, `1.`, `.5`, `-`, `1e`, `1E-`, `tru`, `true x`, `nul`, `[true,false,null]`,
		`"\u00e9\n\/"`, `"\x"`, `"\u12G4"`, "\"\x01\"", "\"\xff\xfe\"", `[[[[[]]]]]`, `[{]`, `{"a":[}`,
		`[1 2]`, `{"a":1 "b":2}`, "\ufeff[]", ` [ { "a" : [ 1 , { } ] } ] `,
	} {
		f.Add([]byte(s))
	}
	f.Add(bytes.Repeat([]byte("["), validNesting+1))
	f.Add(append(bytes.Repeat([]byte("["), validNesting+1), bytes.Repeat([]byte("]"), validNesting+1)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := validJSON(data), json.Valid(data); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", data, got, want)
		}
	})
}

// TestValidJSONNesting checks the depths around validJSON's own limit and
// encoding/json's (10,000).
func TestValidJSONNesting(t *testing.T) {
	for _, depth := range []int{validNesting - 1, validNesting, validNesting + 1, 10000, 10001} {
		for _, open := range []string{"[", `{"a":`} {
			closer := map[string]string{"[": "]", `{"a":`: "}"}[open]
			data := []byte(strings.Repeat(open, depth) + "1" + strings.Repeat(closer, depth))
			if got, want := validJSON(data), json.Valid(data); got != want {
				t.Errorf("%d times %s: validJSON %v, json.Valid %v", depth, open, got, want)
			}
		}
	}
}
