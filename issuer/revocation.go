package sessionissuer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// revocationSet is the in-memory set of handles revoked within the last
// access lifetime (docs/lifecycle.md §4), read by the core's revocation
// check on every request without a store round trip. It is fed at once by
// this process's revocations and, through [Store.WatchRevocations], by every
// other process sharing the store.
//
// An entry is kept for the access lifetime plus 5 minutes (the largest
// leeway a verifier accepts) after its revocation time: by then every
// access token of that session has expired, since no token is issued for a
// revoked session. So memory is bounded by the revocations of one access
// lifetime.
type revocationSet struct {
	keep time.Duration
	mu   sync.RWMutex
	m    map[string]int64 // handle → revocation time, unix nanoseconds
}

const maxVerifierLeeway = 5 * time.Minute

func newRevocationSet(accessTTL time.Duration) *revocationSet {
	return &revocationSet{keep: accessTTL + maxVerifierLeeway, m: make(map[string]int64)}
}

// Revoked reports whether the session sid was revoked within the last
// access lifetime. Safe for concurrent use; no allocation.
func (s *revocationSet) Revoked(sid string) bool {
	s.mu.RLock()
	_, ok := s.m[sid]
	s.mu.RUnlock()
	return ok
}

// add records a revocation unless it is already too old to matter.
func (s *revocationSet) add(handle string, at, now time.Time) {
	if at.Add(s.keep).Before(now) {
		return
	}
	s.mu.Lock()
	if prev, ok := s.m[handle]; !ok || at.UnixNano() > prev {
		s.m[handle] = at.UnixNano()
	}
	s.mu.Unlock()
}

// prune forgets revocations older than the access lifetime plus leeway.
func (s *revocationSet) prune(now time.Time) {
	cut := now.Add(-s.keep).UnixNano()
	s.mu.Lock()
	for h, at := range s.m {
		if at < cut {
			delete(s.m, h)
		}
	}
	s.mu.Unlock()
}

// Feed re-subscription backoff after a failed WatchRevocations.
const (
	feedBackoffMin = 100 * time.Millisecond
	feedBackoffMax = 5 * time.Second
	// feedOverlap is how far before the last revocation seen a
	// re-subscription starts, so nothing recorded around a failure is lost
	// (duplicates are harmless).
	feedOverlap = 5 * time.Second
)

// watch keeps a WatchRevocations subscription open until ctx ends.
func (i *Issuer) watch(ctx context.Context) {
	since := i.now().Add(-i.revs.keep)
	var last atomic.Int64 // unix nanoseconds of the latest At seen
	fn := func(r Revocation) {
		i.revs.add(r.Handle, r.At, i.now())
		if at := r.At.UnixNano(); at > last.Load() {
			last.Store(at)
		}
	}
	backoff := feedBackoffMin
	for {
		began := time.Now()
		err := i.store.WatchRevocations(ctx, since, fn)
		if ctx.Err() != nil {
			return
		}
		// No store text in the log: it may hold connection details.
		i.log.Warn("sessionissuer: revocation feed interrupted; re-subscribing", "failed", err != nil, "backoff", backoff)
		if l := last.Load(); l != 0 {
			since = time.Unix(0, l).Add(-feedOverlap)
		}
		if time.Since(began) > 30*time.Second {
			backoff = feedBackoffMin
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, feedBackoffMax)
	}
}

// sweepLoop deletes expired rows and forgets old revocations every
// [SweepInterval] until ctx ends.
func (i *Issuer) sweepLoop(ctx context.Context) {
	t := time.NewTicker(i.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			i.sweep(ctx)
		}
	}
}

// sweep is one round: DeleteExpired with before = now − access lifetime
// (revoked rows stay that long, for the feed), in batches of [SweepBatch],
// at most 20 batches a round so one round stays short.
func (i *Issuer) sweep(ctx context.Context) (deleted int) {
	now := i.now()
	before := now.Add(-i.cfg.accessTTL)
	for range 20 {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		n, err := i.store.DeleteExpired(c, before, SweepBatch)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				i.log.Warn("sessionissuer: expiry sweep failed; retrying next round")
			}
			break
		}
		deleted += n
		if n < SweepBatch {
			break
		}
	}
	i.revs.prune(now)
	return deleted
}
