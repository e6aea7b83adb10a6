package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// File is a generated dashboard: the name of its JSON file in this folder and the
// function that builds it.
type File struct {
	Name  string
	Build func() (dashboard.Dashboard, error)
}

// Files are the dashboards `go generate ./dashboards` writes.
var Files = []File{
	{Name: "synthesisvr-overview.json", Build: Overview},
	{Name: "synthesisvr-exporter.json", Build: Exporter},
}

// Render builds a dashboard and returns its JSON: indented, keys in a fixed order,
// PromQL's < > & left readable, ending with a newline. The same code gives the same
// bytes, so the committed files can be compared with it.
func Render(f File) ([]byte, error) {
	d, err := f.Build()
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", f.Name, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", f.Name, err)
	}
	return buf.Bytes(), nil
}
