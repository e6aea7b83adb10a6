package config

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestStations checks locations[].stations at its bounds: 1 and MaxStations are kept, a
// location without it has 0 (not set), and a count out of range or not an integer is
// refused at its line, saying what to write.
func TestStations(t *testing.T) {
	location := func(stations string) string {
		return lines("locations:", "  - name: Downtown", "    timezone: Europe/Sofia", "    stations: "+stations)
	}
	for _, n := range []int{1, 12, MaxStations} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			c, err := Parse("config.yml", "", []byte(location(strconv.Itoa(n))))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := c.Locations[0].Stations; got != n {
				t.Errorf("stations = %d, want %d", got, n)
			}
			// A location prints itself without its key: with its stations too, so that a
			// test's diff shows them.
			if s, want := fmt.Sprint(c.Locations[0]), fmt.Sprintf("Stations:%d ", n); !strings.Contains(s, want) {
				t.Errorf("the location prints as %s, without %q", s, want)
			}
		})
	}
	t.Run("left out", func(t *testing.T) {
		c, err := Parse("config.yml", "", []byte(lines("locations:", "  - name: Downtown")))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if got := c.Locations[0].Stations; got != 0 {
			t.Errorf("stations = %d, want 0 (not set)", got)
		}
	})
	const outOfRange = "must be a whole number from 1 to 10000: the VR stations the location has, e.g. stations: 12; leave it out when unknown"
	for value, text := range map[string]string{
		"0":      outOfRange,
		"10001":  outOfRange,
		"-3":     outOfRange,
		`"12"`:   "must be an integer, got a string",
		"twelve": "must be an integer, got a string",
		"12.5":   "must be an integer, got a number",
		"[12]":   "must be an integer, got a list",
	} {
		t.Run(value, func(t *testing.T) {
			c, err := Parse("config.yml", "", []byte(location(value)))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error", c)
			}
			checkIssues(t, err, []issue{{4, "locations[0].stations", text}})
		})
	}
}
