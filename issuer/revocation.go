package sessionissuer

import (
	"context"
	"strings"
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
	// filter is a bitset over the handles in m: a clear bit proves "not
	// revoked" with one atomic load, so the common check takes no lock and
	// no map lookup (the revocation check must cost the core's cached
	// verification almost nothing). Bits are set under mu after the map
	// insert and the bitset is rebuilt from m on prune.
	filter atomic.Pointer[[filterWords]uint64]
	mu     sync.RWMutex
	m      map[string]int64 // handle → revocation time, unix nanoseconds
}

const (
	filterBits  = 1 << 17 // 16 KiB; ~1 % of lookups reach the map with 1,300 revocations
	filterWords = filterBits / 64
)

const maxVerifierLeeway = 5 * time.Minute

func newRevocationSet(accessTTL time.Duration) *revocationSet {
	s := &revocationSet{keep: accessTTL + maxVerifierLeeway, m: make(map[string]int64)}
	s.filter.Store(new([filterWords]uint64))
	return s
}

// filterIndex spreads a handle over the filter. Handles are random, so
// their first bytes mixed by one multiplication suffice; anything else
// (shorter ids from elsewhere) goes through the same mix of what is there.
func filterIndex(sid string) uint {
	var x uint64
	if len(sid) >= 8 {
		_ = sid[7]
		x = uint64(sid[0]) | uint64(sid[1])<<8 | uint64(sid[2])<<16 | uint64(sid[3])<<24 |
			uint64(sid[4])<<32 | uint64(sid[5])<<40 | uint64(sid[6])<<48 | uint64(sid[7])<<56
	} else {
		for k := 0; k < len(sid); k++ {
			x |= uint64(sid[k]) << (8 * k)
		}
	}
	x ^= uint64(len(sid))
	x *= 0x9E3779B97F4A7C15
	return uint(x >> (64 - 17))
}

// Revoked reports whether the session sid was revoked within the last
// access lifetime. Safe for concurrent use; no allocation; lock-free for
// sessions that were not revoked.
func (s *revocationSet) Revoked(sid string) bool {
	i := filterIndex(sid)
	if atomic.LoadUint64(&s.filter.Load()[i/64])&(1<<(i%64)) == 0 {
		return false
	}
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
	// The handle may come from the request (logout through a refresh
	// token): a Fiber view's strings borrow fasthttp's buffers, so the key
	// kept in the map is a copy.
	handle = strings.Clone(handle)
	s.mu.Lock()
	if prev, ok := s.m[handle]; !ok || at.UnixNano() > prev {
		s.m[handle] = at.UnixNano()
	}
	i := filterIndex(handle)
	atomic.OrUint64(&s.filter.Load()[i/64], 1<<(i%64))
	s.mu.Unlock()
}

// prune forgets revocations older than the access lifetime plus leeway and
// rebuilds the filter from what is left.
func (s *revocationSet) prune(now time.Time) {
	cut := now.Add(-s.keep).UnixNano()
	s.mu.Lock()
	f := new([filterWords]uint64)
	for h, at := range s.m {
		if at < cut {
			delete(s.m, h)
			continue
		}
		i := filterIndex(h)
		f[i/64] |= 1 << (i % 64)
	}
	s.filter.Store(f)
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
