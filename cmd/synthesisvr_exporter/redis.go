package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/redis/go-redis/v9"

	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/collector"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/session"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/spool"
	"github.com/synthesisvr-exporter/synthesisvr_exporter/exporter/store/redisstore"
)

// redisFlags are the flags of --storage.backend=redis.
type redisFlags struct {
	url            string
	prefix         string
	sentinelMaster string
	sentinelAddrs  []string
	spoolPath      string
}

func addRedisFlags(app *kingpin.Application, f *redisFlags) {
	app.Flag("storage.redis.url", "Redis URL for --storage.backend=redis: redis://[user:password@]host:port/db, rediss:// for TLS, or Sentinels with ?master_name=NAME&addr=host:port (see README). Also from the environment, to keep a password off the command line.").
		Default("redis://localhost:6379/0").Envar("SYNTHESISVR_REDIS_URL").StringVar(&f.url)
	app.Flag("storage.redis.prefix", "Prefix of every Redis key, so that one Redis serves several venues' exporters; replicas of one venue share it.").
		Default(redisstore.DefaultPrefix).StringVar(&f.prefix)
	app.Flag("storage.redis.sentinel-master", "Find the Redis master of this name through Sentinels (with --storage.redis.sentinel-addrs); --storage.redis.url then gives only the database, credentials and TLS.").
		StringVar(&f.sentinelMaster)
	app.Flag("storage.redis.sentinel-addrs", "Sentinel addresses, host:port, comma-separated or repeated.").
		StringsVar(&f.sentinelAddrs)
	app.Flag("storage.redis.spool-path", "The bolt file that keeps webhook events while Redis is unreachable, replayed when it is back; one per replica. Default: spool.db beside --storage.path.").
		StringVar(&f.spoolPath)
}

// sentinels splits comma-separated addresses.
func (f *redisFlags) sentinels() []string {
	var out []string
	for _, a := range f.sentinelAddrs {
		for _, p := range strings.Split(a, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// openRedis opens the Redis store behind a local spool, and starts nothing: the
// spool is replayed by runBackground.
func (a *app) openRedis() (session.Store, error) {
	rf := a.f.redis
	redis.SetLogger(redisLogger{a.logger})
	rs, err := redisstore.Open(redisstore.Options{
		URL: rf.url, Prefix: rf.prefix, SentinelMaster: rf.sentinelMaster, SentinelAddrs: rf.sentinels(),
	})
	if err != nil {
		return nil, err
	}
	rs.OnReset = a.storeReset
	a.checkRedis(rs)
	path := rf.spoolPath
	if path == "" {
		path = filepath.Join(filepath.Dir(a.f.storagePath), "spool.db")
	}
	var sp *spool.Store
	rec := collector.NewSpoolMetrics(a.registry, a.metrics, func() int { return sp.PendingEvents() })
	sp, err = spool.Open(path, rs, rec, a.logger)
	if err != nil {
		rs.Close()
		return nil, err
	}
	a.spool = sp
	return sp, nil
}

// checkRedis logs, once at start, what an operator should know about the Redis:
// that it cannot be reached yet, or that it keeps no append-only file.
func (a *app) checkRedis(rs *redisstore.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	where := redisstore.Redacted(a.f.redis.url)
	if err := rs.Ping(ctx); err != nil {
		a.logger.Warn("Redis is not reachable yet: webhook events are spooled (answered 202) until it is; /-/ready stays 200 while the spool takes them", "url", where, "err", err)
		return
	}
	aof, err := rs.AppendOnly(ctx)
	switch {
	case err != nil:
		a.logger.Info("Could not check Redis persistence", "err", err)
	case !aof:
		a.logger.Warn("Redis keeps no append-only file: a Redis restart or crash loses sessions acknowledged since its last snapshot. Set appendonly yes (see README)", "url", where)
	default:
		a.logger.Info("Using Redis", "url", where, "prefix", a.f.redis.prefix)
	}
}

// storeReset reports a Redis that lost the keys it held: the active sessions are
// gone, so the gauges read 0 until new creates come, and the deletes of the lost
// sessions count as unmatched.
func (a *app) storeReset(old, current string) {
	a.metrics.StoreReset()
	a.logger.Error("The Redis session store lost its state (restarted without its data, flushed, or failed over to an empty replica): the active sessions it held are gone, the location gauges read 0 until new creates come, and deletes of lost sessions count as unmatched. Check Redis persistence (appendonly yes)",
		"prefix", a.f.redis.prefix, "old_generation", old, "new_generation", current)
}

// errRedisToken says why replicas cannot generate their own token.
var errRedisToken = errors.New("--storage.backend=redis is for several replicas, which must share one webhook token: set it in --config.file (webhooks) or in the environment variable " + envToken + " on every replica")

// redisLogger sends go-redis's own messages (a failed dial, a pool retry) to the
// exporter's log at debug level: the exporter reports store failures itself.
type redisLogger struct{ l *slog.Logger }

// Printf implements go-redis's logging interface.
func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
