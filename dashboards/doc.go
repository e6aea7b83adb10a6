// Package dashboards builds the Grafana dashboards of synthesisvr_exporter from Go
// code (grafana-foundation-sdk) and reads the generated JSON back, so that tests can
// lint the dashboards and run their queries against the exporter and Prometheus.
//
// The JSON files beside this package are generated: edit the Go code and run
// `go generate ./dashboards`; a test fails when the two disagree.
package dashboards

//go:generate go run ./gen
