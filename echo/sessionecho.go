package sessionecho

import (
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	sessionguard "github.com/sessionguard/sessionguard/core"
)

// sessionKey is the echo.Context key the session is stored under. It is not
// API: read the session with [FromContext].
const sessionKey = "github.com/sessionguard/sessionguard/echo.session"

// adapter owns this package's route options: given to another adapter or
// to the core's Required/Optional they are an error, not a hook that never
// fires.
var adapter = sessionguard.NewAdapter("sessionecho")

// Required returns middleware that lets a request through only with a
// verified session, which handlers read with [FromContext] or
// sessionguard.FromContext(c.Request().Context()). Route options
// ([sessionguard.WithTransfer], [sessionguard.WithClaims],
// [sessionguard.WithRenderer], [WithSkipper]) override the verifier's
// defaults.
func Required(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (echo.MiddlewareFunc, error) {
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
func Optional(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (echo.MiddlewareFunc, error) {
	g, err := adapter.Optional(v, opts...)
	if err != nil {
		return nil, err
	}
	return Middleware(g), nil
}

// Middleware wraps a guard built directly with the core. On failure it
// writes the core's response itself and then returns an *echo.HTTPError
// whose Internal is the *sessionguard.Error (see the package doc). A nil
// guard, or one built by another adapter, refuses every request with 401
// (fail closed).
func Middleware(g *sessionguard.Guard) echo.MiddlewareFunc {
	if !adapter.Accepts(g) {
		g = nil // fail closed (401 to every request): nil, or built by another adapter
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := view{c}
			if g.Skip(r) {
				return next(c)
			}
			s, err := g.Check(c.Request().Context(), r)
			if err != nil {
				resp := g.Render(err)
				resp.Write(c.Response())
				code, ok := sessionguard.CodeOf(err)
				if !ok {
					code = sessionguard.CodeUnauthorised
				}
				return &echo.HTTPError{Code: resp.Status, Message: string(code), Internal: err}
			}
			if s != nil {
				c.Set(sessionKey, s)
				c.SetRequest(c.Request().WithContext(sessionguard.NewContext(c.Request().Context(), s)))
			}
			return next(c)
		}
	}
}

// WithSkipper excludes requests for which skip returns true: they reach the
// handler unverified and without a session. Default: none skipped.
func WithSkipper(skip middleware.Skipper) sessionguard.RouteOption {
	if skip == nil {
		return adapter.Own(sessionguard.WithSkip(nil)) // refused by Required/Optional
	}
	return adapter.Own(sessionguard.WithSkip(func(r sessionguard.Request) bool {
		v, ok := r.(view)
		return ok && skip(v.c)
	}))
}

// FromContext returns the session the middleware stored in c, if any.
func FromContext(c echo.Context) (*sessionguard.Session, bool) {
	if c == nil {
		return nil, false
	}
	s, ok := c.Get(sessionKey).(*sessionguard.Session)
	return s, ok && s != nil
}

// view is the [sessionguard.Request] over an echo.Context; it carries the
// context so that [WithSkipper] hooks receive it.
type view struct{ c echo.Context }

func (v view) Method() string              { return v.c.Request().Method }
func (v view) Host() string                { return v.c.Request().Host }
func (v view) Values(name string) []string { return v.c.Request().Header[name] }
