//go:build !windows

package main

// runService is the Windows service handler's place; elsewhere the exporter is
// never a service of its own kind (systemd runs it as a plain process).
func runService([]string) (code int, ok bool) { return 0, false }
