package sessionguard

import (
	"errors"
	"hash/maphash"
	"sync"
	"unsafe"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// Defaults of the verified-token cache.
const (
	DefaultCacheEntries = 10_000
	DefaultCacheBytes   = 32 << 20
	cacheShards         = 32
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
	size  int
}

type cacheShard struct {
	mu      sync.RWMutex
	m       map[string]*cacheEntry
	bytes   int
	maxN    int
	maxSize int
	_       [32]byte // keep shards' locks on separate cache lines
}

type tokenCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

func newTokenCache(entries, bytes int) *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.maxN = max(1, entries/cacheShards)
		sh.maxSize = max(1, bytes/cacheShards)
		sh.m = make(map[string]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(tok string) *cacheShard {
	return &c.shards[maphash.String(c.seed, tok)%cacheShards]
}

// get returns the cached session of tok for src, or nil. nowS is the current
// time in Unix seconds; leeway is the verifier's.
func (c *tokenCache) get(tok string, src Source, nowS, leeway float64) *Session {
	if c == nil {
		return nil
	}
	sh := c.shard(tok)
	sh.mu.RLock()
	e := sh.m[tok]
	sh.mu.RUnlock()
	if e == nil {
		return nil
	}
	if nowS >= e.exp+leeway {
		sh.remove(tok, e)
		return nil
	}
	if ks := e.store.current(); ks == nil || !ks.contains(e.key) {
		sh.remove(tok, e)
		return nil
	}
	if e.s.source != src {
		s := *e.s
		s.source = src
		return &s
	}
	return e.s
}

func (sh *cacheShard) remove(tok string, e *cacheEntry) {
	sh.mu.Lock()
	if sh.m[tok] == e {
		delete(sh.m, tok)
		sh.bytes -= e.size
	}
	sh.mu.Unlock()
}

// put remembers a verified session.
func (c *tokenCache) put(s *Session, key *jose.Key, st *keyStore, exp float64) {
	if c == nil {
		return
	}
	e := &cacheEntry{s: s, key: key, store: st, exp: exp,
		size: len(s.token) + len(s.payload) + entryOverhead + int(unsafe.Sizeof(Session{}))}
	sh := c.shard(s.token)
	if e.size > sh.maxSize {
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.m[s.token]; ok {
		delete(sh.m, s.token)
		sh.bytes -= old.size
	}
	// Evict until there is room; Go's map iteration starts at a random
	// place, which makes this an approximate random eviction in O(1).
	for len(sh.m) >= sh.maxN || sh.bytes+e.size > sh.maxSize {
		for k, old := range sh.m {
			delete(sh.m, k)
			sh.bytes -= old.size
			break
		}
		if len(sh.m) == 0 {
			break
		}
	}
	sh.m[s.token] = e
	sh.bytes += e.size
}

// len reports the number of entries (for tests).
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
