// Command gen writes the Grafana dashboards of synthesisvr_exporter as JSON; it is
// run by `go generate ./dashboards`, in that folder.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/dashboards"
)

func main() {
	out := flag.String("out", ".", "folder to write the dashboards' JSON files to")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	for _, f := range dashboards.Files {
		b, err := dashboards.Render(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
