package sessionhttp

import (
	"context"
	"net/http"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// adapter owns this package's route options: given to another adapter or
// to the core's Required/Optional they are an error, not a hook that never
// fires.
var adapter = sessionguard.NewAdapter("sessionhttp")

// Required returns middleware that lets a request through only with a
// verified session, which handlers read with [FromRequest] or
// sessionguard.FromContext. Route options ([sessionguard.WithTransfer],
// [sessionguard.WithClaims], [sessionguard.WithRenderer], [WithSkipper])
// override the verifier's defaults.
func Required(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (func(http.Handler) http.Handler, error) {
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
func Optional(v *sessionguard.Verifier, opts ...sessionguard.RouteOption) (func(http.Handler) http.Handler, error) {
	g, err := adapter.Optional(v, opts...)
	if err != nil {
		return nil, err
	}
	return Middleware(g), nil
}

// Middleware wraps a guard built directly with the core. A nil guard, or
// one built by another adapter, refuses every request with 401 (fail closed).
func Middleware(g *sessionguard.Guard) func(http.Handler) http.Handler {
	if !adapter.Accepts(g) {
		g = nil // fail closed (401 to every request): nil, or built by another adapter
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			view := sessionguard.HTTPRequest{R: r}
			if g.Skip(view) {
				next.ServeHTTP(w, r)
				return
			}
			s, err := g.Check(r.Context(), view)
			if err != nil {
				g.Render(err).Write(w)
				return
			}
			if s != nil {
				r = r.WithContext(sessionguard.NewContext(r.Context(), s))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// WithSkipper excludes requests for which skip returns true: they reach the
// handler unverified and without a session. Default: none skipped.
func WithSkipper(skip func(*http.Request) bool) sessionguard.RouteOption {
	if skip == nil {
		return adapter.Own(sessionguard.WithSkip(nil)) // refused by Required/Optional
	}
	return adapter.Own(sessionguard.WithSkip(func(r sessionguard.Request) bool {
		hr, ok := r.(sessionguard.HTTPRequest)
		return ok && skip(hr.R)
	}))
}

// FromRequest returns the request's session, if the middleware stored one.
func FromRequest(r *http.Request) (*sessionguard.Session, bool) {
	return sessionguard.FromContext(r.Context())
}

// FromContext is sessionguard.FromContext, for code below the handler.
func FromContext(ctx context.Context) (*sessionguard.Session, bool) {
	return sessionguard.FromContext(ctx)
}
