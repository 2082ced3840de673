package sessionguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
)

// Guard is one route's use of a [Verifier]: required or optional, with its
// transfer method, validators and renderer. It is safe for concurrent use.
type Guard struct {
	v        *Verifier
	owner    *Adapter // the adapter that built it, nil for the core
	required bool
	cfg      routeConfig
}

// Required returns a Guard for routes that need a session: no token is
// [CodeUnauthorised]. Route options override the verifier's defaults;
// validators add to the verifier's.
func (v *Verifier) Required(opts ...RouteOption) (*Guard, error) { return v.guard(nil, true, opts) }

// Optional returns a Guard for routes that work with or without a session:
// no token yields no session and no error. A token that was sent and fails
// still fails (an expired token is [CodeTryRefreshToken], never a silent
// downgrade to anonymous).
func (v *Verifier) Optional(opts ...RouteOption) (*Guard, error) { return v.guard(nil, false, opts) }

// guard builds a guard for owner (nil: the core itself).
func (v *Verifier) guard(owner *Adapter, required bool, opts []RouteOption) (*Guard, error) {
	if v == nil {
		return nil, errors.New("sessionguard: nil *Verifier")
	}
	g := &Guard{v: v, owner: owner, required: required, cfg: v.route}
	g.cfg.owner = owner
	g.cfg.validators = append([]ClaimValidator(nil), v.route.validators...)
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("sessionguard: nil route option")
		}
		if err := o.applyRoute(&g.cfg); err != nil {
			return nil, fmt.Errorf("sessionguard: %w", err)
		}
	}
	if err := g.cfg.check(); err != nil {
		return nil, fmt.Errorf("sessionguard: %w", err)
	}
	return g, nil
}

func (r *routeConfig) check() error {
	if !r.transfer.valid() {
		return errors.New("unknown transfer method")
	}
	return nil
}

func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return errNoToken
}

// IsRequired reports whether the guard requires a session.
func (g *Guard) IsRequired() bool { return g.required }

// Skip reports whether the route's skip hook ([WithSkip]) excludes r.
func (g *Guard) Skip(r Request) bool { return g != nil && g.cfg.skip != nil && g.cfg.skip(r) }

// Render turns an error from [Guard.Check] into the response to send: the
// route's renderer, or the default of docs/semantics.md §5. Errors that are not a
// *[Error] render as UNAUTHORISED.
func (g *Guard) Render(err error) Response {
	e, ok := err.(*Error) // what Check returns; errors.As only for wrapped errors
	if !ok {
		e = asError(err)
	}
	if g == nil {
		return fallbackResponses.unauthorised
	}
	if g.cfg.renderer != nil {
		// The renderer gets a copy: e may be one of the shared, preallocated
		// errors, which user code must not be able to change.
		c := *e
		c.Claims = slices.Clone(e.Claims)
		if r := g.cfg.renderer(&c); r.Status >= 100 && r.Status <= 999 {
			return r
		}
		// A renderer that returns an impossible status would make every
		// framework panic or misbehave; fall back to the default.
		g.v.log.LogAttrs(context.Background(), slog.LevelError, "sessionguard: renderer returned an invalid status; using the default response")
	}
	return g.v.DefaultResponse(e)
}

// Check decides one request (docs/semantics.md §3–§4). It returns:
//   - a session and nil: a verified token;
//   - nil and nil: no session, and none is needed (optional route with
//     nothing sent, or an OPTIONS request);
//   - nil and an *[Error]: send [Guard.Render] of it.
func (g *Guard) Check(ctx context.Context, r Request) (*Session, error) {
	if g == nil || r == nil {
		return nil, errNoToken // fail closed on a programming error
	}
	s, e, src := g.check(ctx, r)
	if g.v.observer != nil {
		g.v.observeRequest(s, e, src)
	}
	if e != nil {
		if g.v.log.Enabled(ctx, slog.LevelDebug) {
			attrs := []slog.Attr{slog.String("code", string(e.Code)), slog.String("reason", e.Reason.Error())}
			if e == errNoToken || e == errRefreshMarker {
				attrs = g.explain(r, attrs)
			}
			g.v.log.LogAttrs(ctx, slog.LevelDebug, "sessionguard: request rejected", attrs...)
		}
		return nil, e
	}
	if s == nil && g.v.log.Enabled(ctx, slog.LevelDebug) && r.Method() != http.MethodOptions {
		g.v.log.LogAttrs(ctx, slog.LevelDebug, "sessionguard: no session (optional route)", g.explain(r, nil)...)
	}
	return s, nil
}

// check selects a token in three steps (docs/semantics.md §3): the header, else the
// cookie, else none. Once a step selects a token its outcome is final. It
// also reports the source of the selected token (0: none was selected).
func (g *Guard) check(ctx context.Context, r Request) (*Session, *Error, Source) {
	if r.Method() == http.MethodOptions {
		return nil, nil, 0
	}
	authz := r.Values("Authorization")
	if len(authz) > 1 {
		return nil, errDuplicateAuthz, 0
	}
	if g.cfg.transfer != TransferCookie && len(authz) == 1 {
		if s, e, selected := g.fromHeader(ctx, authz[0]); selected {
			return s, e, SourceHeader
		}
	}
	marker := false
	if g.cfg.transfer != TransferHeader {
		var s *Session
		var e *Error
		var selected bool
		if s, e, selected, marker = g.fromCookie(ctx, r); selected {
			return s, e, SourceCookie
		}
	}
	s, e := g.noToken(marker)
	return s, e, 0
}

// fromHeader selects and judges the Authorization header's token, if ours.
func (g *Guard) fromHeader(ctx context.Context, authz string) (s *Session, e *Error, selected bool) {
	v := g.v
	cred, ok := bearerCredentials(authz)
	if !ok {
		return nil, nil, false
	}
	if s := v.cache.get(cred, SourceHeader); s != nil {
		v.cacheEvent(true, SourceHeader)
		s, e := g.validate(s)
		return s, e, true
	}
	var t token
	if v.classify(cred, &t) != ours {
		return nil, nil, false
	}
	t.source = SourceHeader
	v.cacheEvent(false, SourceHeader)
	if s, e = v.verify(ctx, &t); e != nil {
		return nil, e, true
	}
	s, e = g.validate(s)
	return s, e, true
}

// fromCookie selects and judges the access-token cookie: the first of its
// occurrences that verifies, else the outcome of the first that is ours
// (docs/semantics.md §2). It also reports whether the refresh marker was sent.
func (g *Guard) fromCookie(ctx context.Context, r Request) (s *Session, e *Error, selected, marker bool) {
	v := g.v
	var vals [maxCookieOccurrence]string
	found, marker := v.cookieValues(r, vals[:0])
	var t token
	var first *Error
	for _, cred := range found {
		cached := v.cache.get(cred, SourceCookie)
		if cached == nil && v.classify(cred, &t) != ours {
			continue
		}
		if !selected {
			selected = true
			// Cross-origin check before any verification work.
			if !v.cop.allowed(r) {
				return nil, errCrossOrigin, true, marker
			}
		}
		if cached != nil {
			v.cacheEvent(true, SourceCookie)
			s, e := g.validate(cached)
			return s, e, true, marker
		}
		t.source = SourceCookie
		v.cacheEvent(false, SourceCookie)
		s, e := v.verify(ctx, &t)
		if e == nil {
			s, e = g.validate(s)
			return s, e, true, marker
		}
		if first == nil {
			first = e
		}
	}
	return nil, first, selected, marker
}

// noToken is the outcome when no token was selected (rows 6 and 7).
func (g *Guard) noToken(marker bool) (*Session, *Error) {
	if marker {
		return nil, errRefreshMarker
	}
	if g.required {
		return nil, errNoToken
	}
	return nil, nil
}

// validate runs the route's judgement of a verified session, cached or
// not: the revocation check (row 4), then the application claim validators
// (row 5).
func (g *Guard) validate(s *Session) (*Session, *Error) {
	if e := g.notRevoked(s); e != nil {
		return nil, e
	}
	var failed []ClaimFailure
	for _, cv := range g.cfg.validators {
		if reason, ok := cv.check(s); !ok {
			failed = append(failed, ClaimFailure{ID: cv.id, Reason: reason})
		}
	}
	if failed != nil {
		return nil, &Error{Code: CodeInvalidClaims, Reason: ErrClaimValidation, TokenRejected: true, Claims: failed}
	}
	return s, nil
}
