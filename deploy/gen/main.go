// Command gen writes the Kubernetes objects generated from alerts/ and dashboards/
// (see package deploy). It runs from deploy/ under `go generate ./deploy/...`.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/deploy"
)

func main() {
	if err := run(".."); err != nil {
		fmt.Fprintln(os.Stderr, "deploy/gen:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := deploy.Generate(root)
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := os.WriteFile(filepath.Join(root, p), files[p], 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", p)
	}
	return nil
}
