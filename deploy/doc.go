// Package deploy generates the Kubernetes objects that package the repository's alert
// rules and dashboards, and its tests check every file under deploy/ against the real
// tools that can run without a Docker engine or a cluster: compose files through the
// Compose specification's own loader, kustomize builds decoded strictly into the
// Kubernetes API types, promtool, amtool, haproxy and systemd-analyze.
//
// deploy/kubernetes/base/prometheusrule.yaml and grafana-dashboards.yaml are
// generated from alerts/synthesisvr.rules.yml and dashboards/*.json: edit those and
// run `go generate ./deploy/...`; a test fails when the two disagree.
package deploy

//go:generate go run ./gen
