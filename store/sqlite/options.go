package sqlitestore

import (
	"errors"
	"time"
)

// Option configures a [Store] built by [New].
type Option func(*config) error

type config struct {
	busyTimeout  time.Duration
	pollInterval time.Duration
	readConns    int
	synchronous  string // PRAGMA synchronous of every connection; tests only change it
}

func defaultConfig() config {
	return config{
		busyTimeout:  5 * time.Second,
		pollInterval: 500 * time.Millisecond,
		readConns:    4,
		synchronous:  "FULL",
	}
}

// WithBusyTimeout sets how long one call waits for the file's write lock
// while another process holds it, before it fails with an error (the issuer's
// ErrStoreUnavailable). Default 5 s. The call's context still ends the wait
// earlier. Writers of one Store never wait on each other through SQLite: they
// queue on the Store's single write connection, in context order.
// d must be positive.
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return errors.New("sqlitestore: busy timeout must be positive")
		}
		c.busyTimeout = d
		return nil
	}
}

// WithPollInterval sets how often [Store.WatchRevocations] looks for
// revocations written by other processes sharing the file. Default 500 ms;
// at most 1 s (so that cross-process delivery stays within the contract's
// 2 s). Revocations made through the same Store are delivered at once,
// whatever the interval.
func WithPollInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > time.Second {
			return errors.New("sqlitestore: poll interval must be in (0, 1s]")
		}
		c.pollInterval = d
		return nil
	}
}

// WithReadConns sets how many connections serve reads (Get, List, LoadKeys,
// the revocation feed) concurrently. Default 4. Writes always go through one
// connection of their own: SQLite admits one writer at a time.
func WithReadConns(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return errors.New("sqlitestore: read connections must be at least 1")
		}
		c.readConns = n
		return nil
	}
}

// withSynchronous sets PRAGMA synchronous. Unexported: FULL is what makes an
// answered refresh survive a power loss; benchmarks use OFF to measure the
// Store's own cost without the fsync.
func withSynchronous(mode string) Option {
	return func(c *config) error {
		c.synchronous = mode
		return nil
	}
}
