package sessionfiber

import (
	"unsafe"

	"github.com/gofiber/fiber/v2"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// adapter owns this package's route options: given to another adapter or
// to the core's Required/Optional they are an error, not a hook that never
// fires.
var adapter = sessionguard.NewAdapter("sessionfiber")

// Required returns middleware that lets a request through only with a
// verified session, which handlers read with [FromContext] or, from
// c.UserContext(), with sessionguard.FromContext. Route options
// ([sessionguard.WithTransfer], [sessionguard.WithClaims],
// [sessionguard.WithRenderer], [WithNext]) override the verifier's defaults.
func Required(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (fiber.Handler, error) {
	g, err := adapter.Required(v, opts...)
	if err != nil {
		return nil, err
	}
	return Middleware(g), nil
}

// Optional returns middleware for routes that work with or without a
// session. A request without any token reaches the handler with no session;
// a token that was sent and fails is still refused (an expired one with
// 401 TRY_REFRESH_TOKEN, so the client refreshes instead of silently
// becoming anonymous).
func Optional(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (fiber.Handler, error) {
	g, err := adapter.Optional(v, opts...)
	if err != nil {
		return nil, err
	}
	return Middleware(g), nil
}

// Middleware wraps a guard built directly with the core. A refused request
// is answered here (status, headers and body of the guard's response) and
// the handler returns nil, so Fiber's ErrorHandler never rewrites it. An
// error returned by the handlers after it (c.Next) is returned unchanged.
// A nil guard, or one built by another adapter, refuses every request with
// 401 (fail closed).
func Middleware(g *sessionguard.Guard) fiber.Handler {
	if !adapter.Accepts(g) {
		g = nil // fail closed (401 to every request): nil, or built by another adapter
	}
	return func(c *fiber.Ctx) error {
		view := request{c}
		if g.Skip(view) {
			return c.Next()
		}
		s, err := g.Check(c.UserContext(), view)
		if err != nil {
			render(c, g.Render(err))
			return nil
		}
		if s != nil {
			c.Locals(localsKey{}, s)
			c.SetUserContext(sessionguard.NewContext(c.UserContext(), s))
		}
		return c.Next()
	}
}

// render writes r into c. Header values replace any the response already
// has, as sessionguard.Response.Write does for net/http; names come
// canonical from the core. The body is copied because the core shares it
// between requests.
func render(c *fiber.Ctx, r sessionguard.Response) {
	h := &c.Response().Header
	prev := ""
	for _, f := range r.Fields() {
		if f.Name == prev {
			h.Add(f.Name, f.Value)
		} else {
			h.SetCanonical([]byte(f.Name), []byte(f.Value))
		}
		prev = f.Name
	}
	c.Status(r.Status)
	c.Response().SetBody(r.Body)
}

// WithNext excludes requests for which next returns true (Fiber's Next
// idiom): they reach the handler unverified and without a session.
// Default: none skipped. A nil next makes Required and Optional fail.
func WithNext(next func(c *fiber.Ctx) bool) sessionguard.RouteOption {
	if next == nil {
		return adapter.Own(sessionguard.WithSkip(nil)) // refused by Required/Optional
	}
	return adapter.Own(sessionguard.WithSkip(func(r sessionguard.Request) bool {
		fr, ok := r.(request)
		return ok && next(fr.c)
	}))
}

// FromContext returns the session the middleware stored in c's locals.
// Code that only has c.UserContext() uses sessionguard.FromContext.
func FromContext(c *fiber.Ctx) (*sessionguard.Session, bool) {
	if c == nil {
		return nil, false
	}
	s, ok := c.Locals(localsKey{}).(*sessionguard.Session)
	return s, ok && s != nil
}

type localsKey struct{}

// request is the core's view of a Fiber request, read straight from
// fasthttp's header (no *http.Request is built, nothing is copied). The
// strings borrow fasthttp's buffers for the duration of Check only; the core
// copies the token into the Session it returns.
type request struct{ c *fiber.Ctx }

// Method implements sessionguard.Request.
func (r request) Method() string { return r.c.Method() }

// Host implements sessionguard.Request: the raw Host header, which is
// net/http's Request.Host for origin-form requests.
func (r request) Host() string { return borrowed(r.c.Request().Header.Host()) }

// Values implements sessionguard.Request: every field of the header
// called name, in arrival order, read from the header block as received
// (RequestHeader.RawHeaders) by the core's sessionguard.FieldValues. So
// names match case-insensitively even under DisableHeaderNormalizing, and
// the Cookie field is the one sent, never the jar fasthttp re-serialises
// (trimmed and unquoted) once anything has called c.Cookies.
//
// A request that was not parsed from a connection (built in code, as in
// benchmarks) has no raw block; it is read through fasthttp's own lookup.
func (r request) Values(name string) []string {
	h := &r.c.Request().Header
	if raw := h.RawHeaders(); len(raw) > 0 {
		return sessionguard.FieldValues(borrowed(raw), name)
	}
	all := h.PeekAll(name)
	if len(all) == 0 {
		return nil
	}
	vals := make([]string, len(all))
	for i, b := range all {
		vals[i] = borrowed(b)
	}
	return vals
}

// borrowed views b as a string without copying. The core only reads these
// strings during Check and copies what a Session keeps (see
// sessionguard.Request), so fasthttp may reuse b afterwards.
func borrowed(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
