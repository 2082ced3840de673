package sgtest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// BearerRequest is a GET / request carrying tok in "Authorization: Bearer".
// Wrap it as sessionguard.HTTPRequest{R: r} to call a Guard directly, or
// serve it through an adapter.
func BearerRequest(tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// CookieRequest is a GET / request carrying tok in the cookie name
// ("access_token" by default in sessionguard), written verbatim.
func CookieRequest(name, tok string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", name+"="+tok)
	return r
}

// Clock is a settable clock for sessionguard.WithClock, safe for concurrent
// use. The zero value reads the Unix epoch; NewClock starts it at a time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time. Pass c.Now to sessionguard.WithClock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Unix(0, 0)
	}
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d (backwards when d < 0).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	if c.t.IsZero() {
		c.t = time.Unix(0, 0)
	}
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
