package sessionguard

import (
	"errors"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// Defaults of the verified-token cache.
const (
	DefaultCacheEntries = 10_000
	DefaultCacheBytes   = 32 << 20
	// entryOverhead approximates what an entry costs beyond the token and
	// its decoded payload: the Session, the entry, the map slot and the
	// claim strings of a typical token.
	entryOverhead = 400
)

// WithCache bounds the verified-token cache: at most maxEntries tokens and
// about maxBytes of memory. An entry costs about len(token) + len(payload) +
// 400 bytes (the payload is ~3/4 of the token's middle segment), so a
// typical 800-byte token costs ~1.5 KB. Default [DefaultCacheEntries]
// (10,000) and [DefaultCacheBytes] (32 MiB).
//
// The cache remembers the result of the signature and registered-claim
// checks of a token, keyed by its exact bytes. Transfer-method rules, the
// cross-origin check and claim validators still run on every request. An
// entry is never used after the token's "exp" (checked at every hit with
// the same leeway) nor after its key left the issuer's key set.
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

type cacheEntry struct {
	s     *Session
	key   *jose.Key
	store *keyStore
	exp   float64
	size  int64
}

// tokenCache maps exact token bytes to verified sessions. Reads are
// lock-free (sync.Map is a concurrent hash-trie since Go 1.24), so hits scale
// across cores; the bounds are kept with atomic counters and a single evictor.
type tokenCache struct {
	m              sync.Map // string -> *cacheEntry
	n, bytes       atomic.Int64
	maxN, maxBytes int64
	evicting       sync.Mutex
}

func newTokenCache(entries, bytes int) *tokenCache {
	return &tokenCache{maxN: int64(entries), maxBytes: int64(bytes)}
}

// get returns the cached session of tok for src, or nil. The clock is read
// only on a hit; expiry uses the verifier's leeway.
func (c *tokenCache) get(tok string, src Source, vf *Verifier) *Session {
	if c == nil {
		return nil
	}
	v, ok := c.m.Load(tok)
	if !ok {
		return nil
	}
	e := v.(*cacheEntry)
	if unixSeconds(vf.now()) >= e.exp+vf.leeway {
		c.remove(tok, e)
		return nil
	}
	if ks := e.store.current(); ks == nil || !ks.contains(e.key) {
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

// put remembers a verified session.
func (c *tokenCache) put(s *Session, key *jose.Key, st *keyStore, exp float64) {
	if c == nil {
		return
	}
	e := &cacheEntry{s: s, key: key, store: st, exp: exp,
		size: int64(len(s.token) + len(s.payload) + entryOverhead + int(unsafe.Sizeof(Session{})))}
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
