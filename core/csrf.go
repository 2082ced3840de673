package sessionguard

import (
	"net/http"
	"net/url"
)

// crossOrigin is net/http.CrossOriginProtection's check (Go 1.25) over the
// neutral request view, so that Fiber, which has no *http.Request, behaves
// identically. It applies only to cookie-carried tokens (docs/semantics.md §6).
type crossOrigin struct {
	disabled bool
	trusted  map[string]struct{}
}

func newCrossOrigin(disabled bool, trusted []string) crossOrigin {
	if disabled {
		return crossOrigin{disabled: true}
	}
	c := crossOrigin{trusted: make(map[string]struct{}, len(trusted))}
	for _, o := range trusted {
		c.trusted[o] = struct{}{}
	}
	return c
}

// allowed reports whether r may use a cookie token.
func (c *crossOrigin) allowed(r Request) bool {
	if c.disabled {
		return true
	}
	switch r.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	switch firstValue(r, "Sec-Fetch-Site") {
	case "":
		// No Sec-Fetch-Site: fall back to Origin.
	case "same-origin", "none":
		return true
	default:
		return c.trustedOrigin(r)
	}
	origin := firstValue(r, "Origin")
	if origin == "" {
		// Neither header: same-origin, or not a browser.
		return true
	}
	if o, err := url.Parse(origin); err == nil && o.Host == r.Host() {
		return true
	}
	return c.trustedOrigin(r)
}

func (c *crossOrigin) trustedOrigin(r Request) bool {
	origin := firstValue(r, "Origin")
	_, ok := c.trusted[origin]
	return origin != "" && ok
}
