package server

import "errors"

var errNotAccepting = errors.New("starting or shutting down")
