package sessionguard

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// Backoff of a source that has never loaded: 1 s, doubling, at most 30 s.
const (
	firstFetchBackoff    = time.Second
	maxFirstFetchBackoff = 30 * time.Second
)

// loader is how a refresher gets keys: the JWKS fetch (jwksloader.go) or an
// application's KeyLoader. It knows nothing of schedules.
type loader interface {
	// load returns validated keys (at least one) and how long they may be
	// used, negative for "no opinion: use the refresh interval". Its errors
	// are *loadError.
	load(ctx context.Context) (keys []*jose.Key, maxAge time.Duration, err error)
	// describe names the source in log lines (a redacted URL, never secrets).
	describe() string
}

// loadError is a failed load, classified. Its text is sessionguard's own:
// never a token, a key or a library's error text. cause is set only for an
// application's KeyLoader error, so that errors.Is can find it in the error
// of [Verifier.Ready]; it is never logged.
type loadError struct {
	source string // "JWKS fetch" or "key loader"
	class  string // "connection refused", "HTTP status 503", ...
	cause  error
}

func (e *loadError) Error() string {
	if e.cause != nil {
		return e.source + ": " + e.class + ": " + e.cause.Error()
	}
	return e.source + ": " + e.class
}

func (e *loadError) Unwrap() error { return e.cause }

// refresher decides when a store is (re)loaded: the periodic schedule with
// its Cache-Control clamp, backoff while nothing has loaded, the unknown-kid
// rate limit and single flight. The loader decides how.
type refresher struct {
	store *keyStore
	src   loader
	cfg   remoteConfig
	log   *slog.Logger
	now   func() time.Time

	mu      sync.Mutex
	cur     *flight
	kidLast time.Time // start of the last load triggered by an unknown kid
	due     time.Time // next periodic load
	backoff time.Duration
	fails   int   // consecutive failed loads
	lastErr error // last failure; nil once a load succeeds
	wake    chan struct{}

	closed bool           // set by wait: start no more loads
	wg     sync.WaitGroup // load goroutines; see wait
	loads  atomic.Int64
}

type flight struct{ done chan struct{} }

func newRefresher(st *keyStore, src loader, cfg remoteConfig, log *slog.Logger, now func() time.Time) *refresher {
	return &refresher{store: st, src: src, cfg: cfg, log: log, now: now,
		backoff: firstFetchBackoff, wake: make(chan struct{}, 1)}
}

// run keeps the set fresh until ctx ends.
func (f *refresher) run(ctx context.Context) {
	for {
		f.mu.Lock()
		d := f.due.Sub(f.now())
		f.mu.Unlock()
		if d <= 0 {
			fl := f.start(ctx, false)
			if fl == nil {
				return // ctx ended: start refuses new loads
			}
			select {
			case <-fl.done:
			case <-ctx.Done():
				return
			}
			continue
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-f.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// start begins a load, or joins the one in flight. A load for an unknown
// kid (forKid) is refused (nil) when the last such load started less than
// the minimum interval ago. Periodic loads do not count against that budget:
// an issuer that rotates and serves its set with no-store gets the new key
// picked up by the first token that names it, not at the next periodic load.
// Once ctx has ended (the verifier is closed) start begins nothing and
// returns nil.
func (f *refresher) start(ctx context.Context, forKid bool) *flight {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		return f.cur
	}
	if f.closed || ctx.Err() != nil {
		return nil
	}
	if forKid {
		now := f.now()
		if !f.kidLast.IsZero() && now.Sub(f.kidLast) < f.cfg.minInterval {
			return nil
		}
		f.kidLast = now
	}
	fl := &flight{done: make(chan struct{})}
	f.cur = fl
	f.wg.Add(1) // under mu: see wait
	go func() {
		defer f.wg.Done()
		f.loadOnce(ctx, fl)
	}()
	return fl
}

// wait stops new loads and blocks until every load goroutine has returned;
// call it after cancelling the context given to start, so that a load in
// flight ends promptly. Every wg.Add happens under mu before closed is set,
// so none races the Wait.
func (f *refresher) wait() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}

// refreshForUnknownKid runs (or joins) a rate-limited refresh and waits for
// it at most the fetch timeout. It reports whether a refresh completed.
func (f *refresher) refreshForUnknownKid(ctx context.Context, bg context.Context) bool {
	fl := f.start(bg, true)
	if fl == nil {
		return false
	}
	t := time.NewTimer(f.cfg.timeout)
	defer t.Stop()
	select {
	case <-fl.done:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// lastFailure is the last load's failure while it is the latest news.
func (f *refresher) lastFailure() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastErr
}

func (f *refresher) loadOnce(ctx context.Context, fl *flight) {
	f.loads.Add(1)
	keys, maxAge, err := f.guardedLoad(ctx)
	now := f.now()
	f.mu.Lock()
	loaded := f.store.current() != nil
	switch {
	case err == nil:
		f.store.replace(keys)
		f.backoff = firstFetchBackoff
		f.due = now.Add(f.interval(maxAge))
		f.fails, f.lastErr = 0, nil
	case loaded:
		f.due = now.Add(f.cfg.minInterval)
	default:
		f.due = now.Add(f.backoff)
		f.backoff = min(f.backoff*2, maxFirstFetchBackoff)
	}
	if err != nil && ctx.Err() == nil { // a load cut short by Close is no news
		f.fails++
		f.lastErr = err
	}
	fails := f.fails
	f.cur = nil
	f.mu.Unlock()
	close(fl.done)
	select {
	case f.wake <- struct{}{}:
	default:
	}
	if err != nil && ctx.Err() == nil && f.log != nil {
		f.logFailure(ctx, err, fails, loaded)
	}
}

// interval is how long keys with the given max age are used: the periodic
// interval without one, otherwise max age clamped to [min, max].
func (f *refresher) interval(maxAge time.Duration) time.Duration {
	if maxAge < 0 {
		return f.cfg.interval
	}
	return min(max(maxAge, f.cfg.minInterval), f.cfg.maxInterval)
}

// guardedLoad calls the loader under the fetch timeout. A loader that
// panics (application code) fails the load instead of the process.
func (f *refresher) guardedLoad(ctx context.Context) (keys []*jose.Key, maxAge time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.timeout)
	defer cancel()
	defer func() {
		if recover() != nil {
			keys, maxAge, err = nil, 0, &loadError{source: "key loader", class: "panicked"}
		}
	}()
	return f.src.load(ctx)
}

// logFailure logs the first failure of a run of failures at Warn and the
// retries at Debug, so that a source that stays down does not flood the log.
// The text is the classified failure (sessionguard's own words), never an
// application's or a library's error text.
func (f *refresher) logFailure(ctx context.Context, err error, fails int, keeping bool) {
	level := slog.LevelWarn
	if fails > 1 {
		level = slog.LevelDebug
	}
	if !f.log.Enabled(ctx, level) {
		return
	}
	reason := "load failed" // every loader returns *loadError; never log foreign text
	if le, ok := err.(*loadError); ok {
		reason = le.source + ": " + le.class
	}
	f.log.LogAttrs(ctx, level, "sessionguard: key set load failed",
		slog.String("source", f.src.describe()), slog.String("error", reason),
		slog.Int("consecutive_failures", fails), slog.Bool("keeping_previous_keys", keeping))
}
