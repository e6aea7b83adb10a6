package simulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
)

// NewClient returns an HTTP client for conns concurrent connections to one host:
// keep-alive on, enough idle connections kept that none is reopened, and every
// request bounded by SynthesisVR's own patience and then some.
func NewClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns + 4,
			MaxIdleConnsPerHost: conns + 4,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
}

// post sends one webhook body and returns the status code; the answer is read whole
// so that the connection is reused.
func post(ctx context.Context, c *http.Client, url string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			ue.URL = RedactURL(ue.URL)
		}
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, nil
}

// RedactURL drops the webhook token from a URL shown to people.
func RedactURL(url string) string {
	if i := strings.Index(url, "/webhook/"); i >= 0 {
		return url[:i] + "/webhook/<token>"
	}
	return url
}
