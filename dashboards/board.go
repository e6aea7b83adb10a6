package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Board is the part of a dashboard's JSON that the tests read: what Grafana shows
// and what it sends to Prometheus.
type Board struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []Panel `json:"panels"`
	Templating struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is one panel or row of a Board.
type Panel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Interval    string `json:"interval"`
	// TimeFrom is the panel's relative time ("28d"): its own time range, which
	// replaces the dashboard's for its queries.
	TimeFrom    string     `json:"timeFrom"`
	Datasource  *Reference `json:"datasource"`
	GridPos     GridPos    `json:"gridPos"`
	Targets     []Target   `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	// Panels are those of a collapsed row.
	Panels []Panel `json:"panels"`
}

// GridPos is a panel's place on the dashboard's 24-column grid.
type GridPos struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Overlaps reports whether two places share a cell.
func (g GridPos) Overlaps(o GridPos) bool {
	return g.X < o.X+o.W && o.X < g.X+g.W && g.Y < o.Y+o.H && o.Y < g.Y+g.H
}

// Reference names a data source.
type Reference struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string     `json:"refId"`
	Expr       string     `json:"expr"`
	Instant    bool       `json:"instant"`
	Datasource *Reference `json:"datasource"`
}

// Variable is a dashboard variable.
type Variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *Reference      `json:"datasource"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
}

// QueryText returns the variable's query when it is a string (the form this
// package writes), or "".
func (v Variable) QueryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) != nil {
		return ""
	}
	return s
}

var labelValues = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)

// LabelValues returns the metric and label of a label_values(metric, label) query
// variable, and whether it is one.
func (v Variable) LabelValues() (metric, label string, ok bool) {
	m := labelValues.FindStringSubmatch(v.QueryText())
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// Variable returns the variable with that name, and whether there is one.
func (b *Board) Variable(name string) (Variable, bool) {
	for _, v := range b.Templating.List {
		if v.Name == name {
			return v, true
		}
	}
	return Variable{}, false
}

// AllPanels returns the panels and rows, those of collapsed rows included, in order.
func (b *Board) AllPanels() []Panel {
	var out []Panel
	for _, p := range b.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// ParseBoard decodes a dashboard's JSON.
func ParseBoard(data []byte) (*Board, error) {
	var b Board
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// ReadBoards reads the JSON files of Files from dir (this package's folder).
func ReadBoards(dir string) ([]*Board, error) {
	var out []*Board
	for _, f := range Files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			return nil, err
		}
		b, err := ParseBoard(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, b)
	}
	return out, nil
}
