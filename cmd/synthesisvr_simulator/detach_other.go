//go:build !unix

package main

import "os/exec"

// detach does nothing where process groups are not Unix ones.
func detach(*exec.Cmd) {}
