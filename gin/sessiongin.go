package sessiongin

import (
	"github.com/gin-gonic/gin"
	sessionguard "github.com/sessionguard/sessionguard/core"
)

// adapter owns this package's route options: given to another adapter or
// to the core's Required/Optional they are an error, not a hook that never
// fires.
var adapter = sessionguard.NewAdapter("sessiongin")

// Required returns middleware that lets a request through only with a
// verified session, which handlers read with [FromContext] or
// sessionguard.FromContext(c.Request.Context()). Route options
// ([sessionguard.WithTransfer], [sessionguard.WithClaims],
// [sessionguard.WithRenderer], [WithSkipper]) override the verifier's
// defaults.
func Required(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (gin.HandlerFunc, error) {
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
func Optional(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (gin.HandlerFunc, error) {
	g, err := adapter.Optional(v, opts...)
	if err != nil {
		return nil, err
	}
	return Middleware(g), nil
}

// Middleware wraps a guard built directly with the core. A nil guard, or
// one built by another adapter, refuses every request with 401 (fail closed).
//
// A refused request gets the guard's response (status, headers, body), its
// *sessionguard.Error is attached with c.Error as [gin.ErrorTypePrivate],
// and the chain is aborted: no later handler runs.
func Middleware(g *sessionguard.Guard) gin.HandlerFunc {
	if !adapter.Accepts(g) {
		g = nil // fail closed (401 to every request): nil, or built by another adapter
	}
	return func(c *gin.Context) {
		view := request{c}
		if g.Skip(view) {
			c.Next()
			return
		}
		s, err := g.Check(c.Request.Context(), view)
		if err != nil {
			g.Render(err).Write(c.Writer)
			_ = c.Error(err).SetType(gin.ErrorTypePrivate)
			c.Abort()
			return
		}
		if s != nil {
			c.Set(sessionKey{}, s)
			c.Request = c.Request.WithContext(sessionguard.NewContext(c.Request.Context(), s))
		}
		c.Next()
	}
}

// WithSkipper excludes requests for which skip returns true: they reach the
// handler unverified and without a session. Default: none skipped.
func WithSkipper(skip func(*gin.Context) bool) sessionguard.RouteOption {
	if skip == nil {
		return adapter.Own(sessionguard.WithSkip(nil)) // refused by Required/Optional
	}
	return adapter.Own(sessionguard.WithSkip(func(r sessionguard.Request) bool {
		gr, ok := r.(request)
		return ok && skip(gr.c)
	}))
}

// FromContext returns the request's session, if the middleware stored one.
// It reads Gin's context storage; code below the handler that only has a
// context.Context uses sessionguard.FromContext(c.Request.Context()).
func FromContext(c *gin.Context) (*sessionguard.Session, bool) {
	if c == nil {
		return nil, false
	}
	v, _ := c.Get(sessionKey{})
	s, ok := v.(*sessionguard.Session)
	return s, ok && s != nil
}

// sessionKey is the unexported key of the session in Gin's context storage.
type sessionKey struct{}

// request is the [sessionguard.Request] view of a Gin request. It is a
// single pointer, so boxing it into the interface does not allocate.
type request struct{ c *gin.Context }

func (r request) Method() string              { return r.c.Request.Method }
func (r request) Host() string                { return r.c.Request.Host }
func (r request) Values(name string) []string { return r.c.Request.Header[name] }
