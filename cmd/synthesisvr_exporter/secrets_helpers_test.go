package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/proctest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	return certFile, keyFile, proctest.SelfSignedTB(t, certFile, keyFile)
}

// webConfig writes an exporter-toolkit web config with TLS and one basic-auth
// user, its password stored as a bcrypt hash, and returns its path.
func webConfig(t *testing.T, dir, certFile, keyFile, user, password string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "web.yml")
	writeFile(t, path, "tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+
		"\nbasic_auth_users:\n  "+user+": "+string(hash)+"\n")
	return path
}

// tlsClient trusts pool only.
func tlsClient(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
}

// seen collects every answer body of a test, to look for a secret in them.
type seen struct{ bodies []string }

// call sends a request with optional basic auth and keeps the answer's body.
func (s *seen) call(t *testing.T, c *http.Client, method, url, body, user, password string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{code: 0, body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.bodies = append(s.bodies, string(b))
	return reply{code: resp.StatusCode, body: string(b), header: resp.Header}
}

// waitReadyTLS polls /-/ready over TLS with basic auth until it answers 200.
func waitReadyTLS(t *testing.T, p *exporterProc, c *http.Client, base, user, password string) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) && !p.Exited() {
		req, _ := http.NewRequest(http.MethodGet, base+"/-/ready", nil)
		req.SetBasicAuth(user, password)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the exporter with TLS and basic auth did not become ready\nlog:\n%s", p.log.String())
}
