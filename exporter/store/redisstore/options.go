package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Options say which Redis to use.
type Options struct {
	// URL is redis://[user:password@]host:port/db or rediss:// for TLS. With a
	// master_name query parameter it names Sentinels instead (go-redis's
	// ParseFailoverURL: the host and each addr= parameter are Sentinels, the
	// userinfo is the Sentinels' credentials, password= the master's).
	URL string
	// Prefix is put before every key; DefaultPrefix when empty.
	Prefix string
	// SentinelMaster and SentinelAddrs, when set, find the master through these
	// Sentinels; URL then gives only the database, credentials and TLS.
	SentinelMaster string
	SentinelAddrs  []string
}

// Timeouts the client uses unless the URL sets them: short, so that a request
// whose Redis is gone fails within SynthesisVR's 2-second budget and can still be
// spooled. A script is never retried, since its reply may be lost after it ran.
const (
	dialTimeout = 500 * time.Millisecond
	ioTimeout   = time.Second
)

// NewClient returns a client for o; it does not connect yet.
func NewClient(o Options) (*redis.Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("--storage.redis.url: %w", redactErr(err, o.URL))
	}
	if u.Query().Has("master_name") {
		if o.SentinelMaster != "" || len(o.SentinelAddrs) > 0 {
			return nil, errors.New("--storage.redis.url has master_name, and --storage.redis.sentinel-* flags are set too: name the Sentinels in one place")
		}
		fo, err := redis.ParseFailoverURL(o.URL)
		if err != nil {
			return nil, fmt.Errorf("--storage.redis.url (Sentinel form): %w", redactErr(err, o.URL))
		}
		tuneFailover(fo)
		return redis.NewFailoverClient(fo), nil
	}
	ro, err := redis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("--storage.redis.url: %w", redactErr(err, o.URL))
	}
	if o.SentinelMaster == "" && len(o.SentinelAddrs) == 0 {
		tune(ro)
		return redis.NewClient(ro), nil
	}
	if o.SentinelMaster == "" || len(o.SentinelAddrs) == 0 {
		return nil, errors.New("--storage.redis.sentinel-master and --storage.redis.sentinel-addrs go together: set both, or neither")
	}
	fo := &redis.FailoverOptions{
		MasterName: o.SentinelMaster, SentinelAddrs: o.SentinelAddrs,
		Username: ro.Username, Password: ro.Password, DB: ro.DB, TLSConfig: ro.TLSConfig,
		DialTimeout: ro.DialTimeout, ReadTimeout: ro.ReadTimeout, WriteTimeout: ro.WriteTimeout,
		MaxRetries: ro.MaxRetries, ContextTimeoutEnabled: true,
	}
	tuneFailover(fo)
	return redis.NewFailoverClient(fo), nil
}

func tune(o *redis.Options) {
	o.DialTimeout = orDefault(o.DialTimeout, dialTimeout)
	o.ReadTimeout = orDefault(o.ReadTimeout, ioTimeout)
	o.WriteTimeout = orDefault(o.WriteTimeout, ioTimeout)
	o.DialerRetries = 1
	if o.MaxRetries == 0 {
		o.MaxRetries = -1
	}
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}

func tuneFailover(o *redis.FailoverOptions) {
	o.DialTimeout = orDefault(o.DialTimeout, dialTimeout)
	o.ReadTimeout = orDefault(o.ReadTimeout, ioTimeout)
	o.WriteTimeout = orDefault(o.WriteTimeout, ioTimeout)
	o.DialerRetries = 1
	if o.MaxRetries == 0 {
		o.MaxRetries = -1
	}
	o.ContextTimeoutEnabled = true
	o.DisableIdentity = true
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// redactErr keeps the URL, and a password in it, out of an error message.
func redactErr(err error, raw string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if u, perr := url.Parse(raw); perr == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
		}
	}
	return err
}

// Redacted is the URL with its password replaced, for logs.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
