package server

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"

	"github.com/prometheus/exporter-toolkit/web"
	"go.yaml.in/yaml/v3"
)

// WebConfig is what the receiver's own listener takes from --web.config.file.
type WebConfig struct {
	// BasicAuth reports that the file turns basic auth on, which SynthesisVR
	// cannot send: the receiver then needs a listener of its own.
	BasicAuth bool
	// TLS is the server TLS of the file without client certificates (SynthesisVR
	// has none), or nil for plain HTTP.
	TLS *tls.Config
	// HTTP is the file's http_server_config (HTTP/2 over TLS, extra answer
	// headers), for the receiver's listener as for the main one.
	HTTP web.HTTPConfig
}

// ReadWebConfig reads an exporter-toolkit web config file; an empty path gives
// plain HTTP without auth.
func ReadWebConfig(path string) (WebConfig, error) {
	if path == "" {
		return WebConfig{HTTP: web.HTTPConfig{HTTP2: true}}, nil
	}
	if err := web.Validate(path); err != nil {
		return WebConfig{}, fmt.Errorf("web config file %s: %w", path, err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return WebConfig{}, err
	}
	// HTTP/2 is on unless the file turns it off, as exporter-toolkit reads it.
	c := web.Config{HTTPConfig: web.HTTPConfig{HTTP2: true}}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return WebConfig{}, fmt.Errorf("web config file %s: %w", path, err)
	}
	wc := WebConfig{BasicAuth: len(c.Users) > 0, HTTP: c.HTTPConfig}
	if !c.TLSConfig.IsEnabled() {
		return wc, nil
	}
	t := c.TLSConfig
	t.SetDirectory(filepath.Dir(path))
	t.ClientAuth, t.ClientCAs, t.ClientCAsText, t.ClientAllowedSans = "", "", "", nil
	wc.TLS, err = web.ConfigToTLSConfig(&t)
	if err != nil {
		return WebConfig{}, fmt.Errorf("web config file %s: TLS for the webhook listener: %w", path, err)
	}
	return wc, nil
}
