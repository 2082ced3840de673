package sessionguard

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// Defaults of the verified-token cache.
const (
	DefaultCacheEntries = 10_000
	DefaultCacheBytes   = 32 << 20
	// slotOverhead approximates what an entry costs in the map beyond the
	// structs and strings it points to: the hash-trie node and the key's
	// string header.
	slotOverhead = 96
)

// WithCache bounds the verified-token cache: at most maxEntries tokens and
// about maxBytes of memory. An entry is accounted as everything it
// retains: len(token) + len(payload) + the decoded "sub", "iss", "sid",
// "jti" and "kid" + about 400 bytes of structures (the payload is ~3/4 of
// the token's middle segment), so a typical 800-byte token costs ~1.5 KB.
// Default [DefaultCacheEntries] (10,000) and [DefaultCacheBytes] (32 MiB).
//
// The cache remembers the result of the signature and registered-claim
// checks of a token, keyed by its exact bytes. Transfer-method rules, the
// cross-origin check and claim validators still run on every request. An
// entry is never used after the token's "exp" (checked at every hit with
// the same leeway), nor once the issuer's key set would no longer select
// the key that verified it (the key left the set, or a token without "kid"
// gained a second candidate key): a hit never accepts what a full
// verification would refuse.
func WithCache(maxEntries, maxBytes int) Option {
	return optionFunc(func(c *config) error {
		if maxEntries <= 0 || maxBytes <= 0 {
			return errors.New("WithCache: bounds must be positive (use WithoutCache to turn it off)")
		}
		c.cacheEntries, c.cacheBytes = maxEntries, maxBytes
		return nil
	})
}

// WithoutCache verifies every token's signature on every request.
func WithoutCache() Option {
	return optionFunc(func(c *config) error { c.cacheEntries = -1; return nil })
}

// cacheEntry is a verified session and what it was verified with: the key
// that verified it and the token's key selectors, so that a hit selects the
// key again exactly as a miss would.
type cacheEntry struct {
	s      *Session
	store  *keyStore
	key    *jose.Key
	kid    string
	hasKid bool
	alg    string
	exp    float64
	size   int64
}

// tokenCache maps exact token bytes to verified sessions. Reads are
// lock-free (sync.Map is a concurrent hash-trie since Go 1.24), so hits scale
// across cores; the bounds are kept with atomic counters and a single evictor.
// It has its own clock and leeway: it never asks the verifier for state.
type tokenCache struct {
	m              sync.Map // string -> *cacheEntry
	n, bytes       atomic.Int64
	maxN, maxBytes int64
	evicting       sync.Mutex
	now            func() time.Time
	leeway         float64 // seconds
}

func newTokenCache(entries, bytes int, now func() time.Time, leeway float64) *tokenCache {
	return &tokenCache{maxN: int64(entries), maxBytes: int64(bytes), now: now, leeway: leeway}
}

// get returns the cached session of tok for src, or nil. The clock is read
// only on a hit. A hit is what a miss would decide about the signature and
// the registered claims: the entry is dropped once the token expired (with
// the same leeway) or once its key selectors (kid, alg) would no longer
// select the key that verified it, e.g. after a rotation removed that key
// or added a second candidate for a token without kid.
func (c *tokenCache) get(tok string, src Source) *Session {
	if c == nil {
		return nil
	}
	v, ok := c.m.Load(tok)
	if !ok {
		return nil
	}
	e := v.(*cacheEntry)
	if unixSeconds(c.now()) >= e.exp+c.leeway {
		c.remove(tok, e)
		return nil
	}
	ks := e.store.current()
	if ks == nil {
		c.remove(tok, e)
		return nil
	}
	if k, err := ks.find(e.kid, e.hasKid, e.alg); err != nil || k != e.key {
		c.remove(tok, e)
		return nil
	}
	if e.s.source != src {
		s := *e.s
		s.source = src
		return &s
	}
	return e.s
}

func (c *tokenCache) remove(tok string, e *cacheEntry) {
	if c.m.CompareAndDelete(tok, e) {
		c.n.Add(-1)
		c.bytes.Add(-e.size)
	}
}

// put remembers s, verified by key of st for the token t.
func (c *tokenCache) put(s *Session, t *token, key *jose.Key, st *keyStore) {
	if c == nil {
		return
	}
	e := &cacheEntry{s: s, store: st, key: key, kid: t.kid, hasKid: t.hasKid, alg: t.alg, exp: t.claims.exp}
	e.size = entrySize(e)
	if e.size > c.maxBytes {
		return
	}
	if old, loaded := c.m.Swap(s.token, e); loaded {
		c.bytes.Add(e.size - old.(*cacheEntry).size)
	} else {
		c.n.Add(1)
		c.bytes.Add(e.size)
	}
	if c.n.Load() > c.maxN || c.bytes.Load() > c.maxBytes {
		c.evict()
	}
}

// entrySize is what an entry retains: the entry and its Session, every
// string and slice the Session holds (the token, the payload, and the
// decoded claim strings, which are copies rather than slices of the
// payload), the kid, and the map slot. Configured issuers are interned, so
// counting "iss" only over-counts in the common case.
func entrySize(e *cacheEntry) int64 {
	s := e.s
	n := int(unsafe.Sizeof(*e)) + int(unsafe.Sizeof(*s)) + slotOverhead +
		len(s.token) + len(s.payload) + len(s.subject) + len(s.issuer) +
		len(s.sessionID) + len(s.tokenID) + len(e.kid)
	return int64(n)
}

// evict removes entries until the cache is within its bounds. Iteration
// follows the hash-trie's (seeded) hash order, which is unrelated to when a
// token was added: an approximate random eviction.
func (c *tokenCache) evict() {
	c.evicting.Lock() // rare, and only after a full verification: cheap to serialise
	defer c.evicting.Unlock()
	c.m.Range(func(k, v any) bool {
		if c.n.Load() <= c.maxN && c.bytes.Load() <= c.maxBytes {
			return false
		}
		c.remove(k.(string), v.(*cacheEntry))
		return true
	})
}

// len reports the number of entries (for tests).
func (c *tokenCache) len() int { return int(c.n.Load()) }
