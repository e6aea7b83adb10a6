package simulator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"slices"
	"sort"
	"strings"
)

// cleanupBatch is how many deletes one clean-up POST carries: well under the
// exporter's limits.max_events_per_request (1000 by default).
const cleanupBatch = 100

// CleanupResult counts what a clean-up did.
type CleanupResult struct {
	// Ended is how many deletes the exporter answered 200 for; Failed how many not.
	Ended, Failed int
}

// EndSessions posts the deletes evs (from Model.Unended), grouped by the webhook
// URL urlOf gives each event's location, cleanupBatch to a POST, the way
// SynthesisVR ends a session: it needs no admin API.
func EndSessions(ctx context.Context, c *http.Client, evs []Event, urlOf func(location string) string) CleanupResult {
	byURL := map[string][]Event{}
	for _, e := range evs {
		u := urlOf(e.Location)
		byURL[u] = append(byURL[u], e)
	}
	urls := make([]string, 0, len(byURL))
	for u := range byURL {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	var res CleanupResult
	for _, u := range urls {
		for batch := range slices.Chunk(byURL[u], cleanupBatch) {
			code, err := post(ctx, c, u, encodeBatch(batch))
			if err == nil && code == http.StatusOK {
				res.Ended += len(batch)
			} else {
				res.Failed += len(batch)
			}
		}
	}
	return res
}

// AdminAPI reports whether the exporter at base serves its admin API
// (--web.enable-admin-api): GET /api/v1/sessions answers 200. A 403 (off), 401
// (basic auth) or no answer is false, with the reason.
func AdminAPI(ctx context.Context, c *http.Client, base string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/api/v1/sessions", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := c.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return false, resp.Status
	}
	return true, ""
}

// ForgetLocation asks the admin API at base to forget a location, ending its
// sessions first (?force=true). A location already unknown (404) counts as forgotten.
func ForgetLocation(ctx context.Context, c *http.Client, base, name string) error {
	u := strings.TrimRight(base, "/") + "/api/v1/locations/" + neturl.PathEscape(name) + "?force=true"
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
