package server

import "errors"

var (
	errNotAccepting = errors.New("starting or shutting down")
	errDraining     = errors.New("shutting down (--web.drain-delay): the webhook still takes events until the listeners close")
)
