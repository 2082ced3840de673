package redisstore

import (
	"errors"
	"time"
)

// Option configures a [Store]. Options can reject bad input: [New] and
// [NewFromClient] then return the error.
type Option func(*config) error

type config struct {
	prefix      string
	retention   time.Duration
	healthCheck time.Duration

	waitReplicas int
	waitTimeout  time.Duration
}

func defaults() config {
	return config{
		prefix:      "sg:",
		retention:   15 * time.Minute,
		healthCheck: 2 * time.Second,
	}
}

// WithPrefix sets the prefix of every key and of the pub/sub channel
// (default "sg:"; the layout version follows it, so data keys start with
// "sg:v1:"). Several stores, for example several applications or test runs,
// share one Redis database safely under different prefixes.
//
// On a Redis Cluster every key of a store must live in one hash slot, as
// the scripts touch a row, its subject index and the revocation feed
// together: put a hash tag in the prefix, as in "{sg}:".
func WithPrefix(prefix string) Option {
	return func(c *config) error {
		if prefix == "" {
			return errors.New("redisstore: WithPrefix: empty prefix")
		}
		c.prefix = prefix
		return nil
	}
}

// WithRetention sets how long revoked rows and revocation feed entries are
// kept, and how long a row outlives its ExpiresAt before Redis removes it
// (default 15 minutes). Set it to the issuer's access token lifetime: that
// is how long a revocation must stay visible to verifiers
// (docs/lifecycle.md §4).
func WithRetention(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return errors.New("redisstore: WithRetention: retention under one second")
		}
		c.retention = d
		return nil
	}
}

// WithFeedHealthCheck sets how long [Store.WatchRevocations] waits on a
// silent subscription before it pings the server (default 2 s); a ping
// unanswered for as long again ends the watch with an error, so a server
// that vanished without closing the connection is noticed within twice
// this interval.
func WithFeedHealthCheck(d time.Duration) Option {
	return func(c *config) error {
		if d < 10*time.Millisecond {
			return errors.New("redisstore: WithFeedHealthCheck: interval under 10 ms")
		}
		c.healthCheck = d
		return nil
	}
}

// WithWaitReplicas makes every write wait, after its script, until at least
// n replicas acknowledged it or timeout passed (Redis WAIT; default: no
// wait, n = 0). A write that too few replicas acknowledged returns an error,
// which the issuer reports as unavailable: the write did happen on the
// primary, and a refresh retried with the same token is answered within
// the grace period. This narrows what a failover can lose; it is not a
// disk fsync (configure appendfsync always for that, docs/stores.md).
// For a single primary with replicas (a *redis.Client or a Sentinel
// failover client), not a Cluster. Keep timeout below the client's read
// timeout (3 s by default) and the issuer's store deadline.
func WithWaitReplicas(n int, timeout time.Duration) Option {
	return func(c *config) error {
		if n < 0 || n > 0 && timeout <= 0 {
			return errors.New("redisstore: WithWaitReplicas: negative count or non-positive timeout")
		}
		c.waitReplicas, c.waitTimeout = n, timeout
		return nil
	}
}
