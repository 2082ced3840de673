package sessionissuer

import (
	"crypto/rand"
	"sync"
)

// rowCache keeps the last row this process wrote or read per handle, so
// the common refresh is one store round trip (SwapRefresh against the cached
// version; a mismatch returns the stored row). A cached row only ever makes
// a refresh succeed through a compare-and-swap on its version; refusals and
// theft are decided on a row just read from the store. Bounded: when full,
// an arbitrary entry is evicted.
type rowCache struct {
	mu  sync.Mutex
	max int
	m   map[string]*Record
}

const rowCacheSize = 10000

func newRowCache(max int) *rowCache { return &rowCache{max: max, m: make(map[string]*Record)} }

func (c *rowCache) get(h string) *Record {
	c.mu.Lock()
	r := c.m[h]
	c.mu.Unlock()
	return r
}

// put caches r, which must not be modified afterwards.
func (c *rowCache) put(r *Record) {
	c.mu.Lock()
	if _, ok := c.m[r.Handle]; !ok && len(c.m) >= c.max {
		for h := range c.m {
			delete(c.m, h)
			break
		}
	}
	c.m[r.Handle] = r
	c.mu.Unlock()
}

func (c *rowCache) drop(h string) {
	c.mu.Lock()
	delete(c.m, h)
	c.mu.Unlock()
}

func randomSeed(seed *[seedBytes]byte) error {
	_, err := rand.Read(seed[:])
	return err
}
