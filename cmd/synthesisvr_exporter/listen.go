package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/prometheus/exporter-toolkit/web"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/server"
)

// listeners are the bound sockets of the HTTP servers.
type listeners struct {
	main    []net.Listener // nil: exporter-toolkit binds them itself (systemd, vsock)
	webhook net.Listener   // nil without --webhook.listen-address
}

// bind opens the listen addresses.
func bind(f *flags) (*listeners, error) {
	lns := &listeners{}
	if selfBound(f.web) {
		for _, addr := range *f.web.WebListenAddresses {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				lns.close()
				return nil, fmt.Errorf("--web.listen-address: %w", err)
			}
			lns.main = append(lns.main, l)
		}
	}
	if f.webhookAddress != "" {
		l, err := net.Listen("tcp", f.webhookAddress)
		if err != nil {
			lns.close()
			return nil, fmt.Errorf("--webhook.listen-address: %w", err)
		}
		lns.webhook = l
	}
	return lns, nil
}

// selfBound reports whether the exporter binds the main addresses itself; socket
// activation and vsock addresses are left to exporter-toolkit.
func selfBound(fc *web.FlagConfig) bool {
	if fc.WebSystemdSocket != nil && *fc.WebSystemdSocket {
		return false
	}
	for _, a := range *fc.WebListenAddresses {
		if strings.HasPrefix(a, "vsock://") {
			return false
		}
	}
	return true
}

func (lns *listeners) close() {
	for _, l := range append(lns.main, lns.webhook) {
		if l != nil {
			l.Close()
		}
	}
}

// serve starts the HTTP servers on the bound listeners. Each listener keeps at
// most limits.max_connections open, and each server logs net/http's own errors
// through the exporter's logger (ErrorLog).
func (ex *exporter) serve(f *flags, lns *listeners, wc server.WebConfig) error {
	main, err := ex.app.mainHandler(lns.webhook == nil)
	if err != nil {
		return err
	}
	ms := newHTTPServer(main, server.ErrorLog(ex.logger, server.ListenerMain))
	ex.servers = append(ex.servers, ms)
	for i, l := range lns.main {
		lns.main[i] = ex.app.conns.Limit(l, server.ListenerMain, ex.app.maxConns)
	}
	go func() {
		var err error
		if lns.main == nil {
			err = web.ListenAndServe(ms, f.web, ex.logger)
		} else {
			err = web.ServeMultiple(lns.main, ms, f.web, ex.logger)
		}
		ex.report(err)
	}()
	if lns.webhook == nil {
		return nil
	}
	// The web config's http_server_config applies here as on the main listener:
	// its headers on every answer, HTTP/2 only when it allows it.
	ws := newHTTPServer(server.WithHeaders(ex.app.webhookHandler(), wc.HTTP.Header), server.ErrorLog(ex.logger, server.ListenerWebhook))
	ex.servers = append(ex.servers, ws)
	hook := ex.app.conns.Limit(lns.webhook, server.ListenerWebhook, ex.app.maxConns)
	ex.logger.Info("Webhook listening on its own address", "address", lns.webhook.Addr().String(), "tls", wc.TLS != nil, "http2", wc.TLS != nil && wc.HTTP.HTTP2)
	go func() {
		var err error
		if wc.TLS != nil {
			ws.TLSConfig = wc.TLS
			if !wc.HTTP.HTTP2 {
				ws.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
			}
			err = ws.ServeTLS(hook, "", "")
		} else {
			err = ws.Serve(hook)
		}
		ex.report(err)
	}()
	return nil
}

// report passes on a server's failure; a server closed by the shutdown has none.
func (ex *exporter) report(err error) {
	if !errors.Is(err, http.ErrServerClosed) {
		ex.errs <- err
	}
}
