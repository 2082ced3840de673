package sessionguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// Verifier decides, for each request, whether it carries a valid session
// token. Build it once with [New]; it is safe for concurrent use. Routes use
// it through a [Guard] from [Verifier.Required] or [Verifier.Optional].
type Verifier struct {
	issuers      map[string]*keyStore // empty when keys are not issuer-bound
	issuerNames  map[string]string    // each configured issuer, to intern "iss"
	unbound      *keyStore
	stores       []*keyStore
	algs         []string
	audiences    []string
	leeway       float64 // seconds
	maxLifetime  float64 // seconds, 0 = off
	required     []requiredClaim
	maxTokenSize int
	cookies      []string
	marker       string
	cop          crossOrigin
	log          *slog.Logger
	now          func() time.Time
	route        routeConfig
	responses    responses
	cache        *tokenCache // nil when off

	cancel context.CancelFunc
	bg     context.Context
	wg     sync.WaitGroup
}

// New builds a Verifier. At least one key source is required: [WithIssuer]
// (recommended) or [WithKeySource]. Every option is validated; New never
// panics and never blocks on the network (remote key sets load in the
// background: see [Verifier.Ready]). Call [Verifier.Close] to stop background
// refreshes when the verifier is no longer needed.
//
// Defaults: asymmetric algorithms only, "exp" required, 30 s leeway, 8 KiB
// token cap, tokens read from the Authorization header then the
// "access_token" cookie, cross-origin protection on for cookie tokens,
// realm "api".
func New(opts ...Option) (*Verifier, error) {
	c := config{
		leeway:       DefaultLeeway,
		maxTokenSize: DefaultMaxTokenSize,
		cookies:      []string{DefaultCookieName},
		realm:        DefaultRealm,
		retryAfter:   DefaultRetryAfter,
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("sessionguard: nil option")
		}
		if err := o.applyVerifier(&c); err != nil {
			return nil, fmt.Errorf("sessionguard: %w", err)
		}
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	if len(c.issuers) == 0 && c.unbound == nil {
		return nil, errors.New("sessionguard: no key source: use WithIssuer or WithKeySource")
	}
	if len(c.issuers) > 0 && c.unbound != nil {
		return nil, errors.New("sessionguard: WithKeySource cannot be combined with WithIssuer")
	}
	v := &Verifier{
		audiences:    c.audiences,
		leeway:       c.leeway.Seconds(),
		maxLifetime:  c.maxLifetime.Seconds(),
		required:     c.required,
		maxTokenSize: c.maxTokenSize,
		cookies:      c.cookies,
		marker:       c.marker,
		log:          c.logger,
		now:          c.now,
		route:        c.route,
	}
	if c.noCOP {
		v.cop.disabled = true
	} else {
		v.cop.trusted = make(map[string]struct{}, len(c.trusted))
		for _, o := range c.trusted {
			v.cop.trusted[o] = struct{}{}
		}
	}
	// Key stores; one per distinct *KeySource.
	built := map[*KeySource]*keyStore{}
	hasSecret := false
	store := func(src *KeySource) (*keyStore, error) {
		if st, ok := built[src]; ok {
			return st, nil
		}
		st, err := newStore(src, c.logger, c.now)
		if err != nil {
			return nil, err
		}
		built[src] = st
		v.stores = append(v.stores, st)
		hasSecret = hasSecret || src.kind == sourceSecret
		return st, nil
	}
	if c.unbound != nil {
		st, err := store(c.unbound)
		if err != nil {
			return nil, fmt.Errorf("sessionguard: key source: %w", err)
		}
		v.unbound = st
	} else {
		v.issuers = make(map[string]*keyStore, len(c.issuers))
		v.issuerNames = make(map[string]string, len(c.issuers))
		for _, iss := range c.issuerOrder {
			v.issuerNames[iss] = iss
			st, err := store(c.issuers[iss])
			if err != nil {
				return nil, fmt.Errorf("sessionguard: issuer %q: %w", iss, err)
			}
			st.names = append(st.names, iss)
			v.issuers[iss] = st
		}
	}
	// Algorithms.
	if c.algs == nil {
		v.algs = append([]string(nil), jose.Asymmetric...)
		if hasSecret {
			v.algs = append(v.algs, jose.Symmetric...)
		}
	} else {
		for _, a := range c.algs {
			if jose.IsSymmetric(a) && !hasSecret {
				return nil, fmt.Errorf("sessionguard: algorithm %s needs an HMACSecret key source", a)
			}
		}
		v.algs = c.algs
	}
	v.responses = newResponses(c.realm, c.retryAfter)
	if c.cacheEntries >= 0 {
		entries, bytes := c.cacheEntries, c.cacheBytes
		if entries == 0 {
			entries, bytes = DefaultCacheEntries, DefaultCacheBytes
		}
		v.cache = newTokenCache(entries, bytes)
	}
	if err := v.route.check(); err != nil {
		return nil, fmt.Errorf("sessionguard: %w", err)
	}
	// Start remote fetchers last: nothing above can fail after this.
	v.bg, v.cancel = context.WithCancel(context.Background())
	for _, st := range v.stores {
		if st.remote != nil {
			v.wg.Add(1)
			go func(f *refresher) {
				defer v.wg.Done()
				f.run(v.bg)
			}(st.remote)
		}
	}
	return v, nil
}

// Close stops background key-set refreshes and waits for them to end. The
// verifier keeps verifying with the keys it has.
func (v *Verifier) Close() error {
	v.cancel()
	v.wg.Wait()
	for _, st := range v.stores {
		if st.remote != nil {
			st.remote.wait() // fetches in flight end promptly: their context is cancelled
		}
	}
	return nil
}

// Ready blocks until every key source has loaded once, or ctx ends. Use it in
// a readiness probe, or at start-up to avoid answering KEYS_UNAVAILABLE.
// When ctx ends first, the error names each key set not loaded and its last
// failure, e.g. `sessionguard: key set of issuer "https://x" not loaded: JWKS
// fetch: connection refused`; it matches ctx.Err() and [ErrKeySetNotLoaded]
// with errors.Is (docs/keysets.md, "Diagnostics").
func (v *Verifier) Ready(ctx context.Context) error {
	for _, st := range v.stores {
		select {
		case <-st.loaded:
		case <-ctx.Done():
			return notLoaded(v.stores, ctx.Err())
		}
	}
	return nil
}

// Guard is one route's use of a [Verifier]: required or optional, with its
// transfer method, validators and renderer. It is safe for concurrent use.
type Guard struct {
	v        *Verifier
	required bool
	cfg      routeConfig
}

// Required returns a Guard for routes that need a session: no token is
// [CodeUnauthorised]. Route options override the verifier's defaults;
// validators add to the verifier's.
func (v *Verifier) Required(opts ...RouteOption) (*Guard, error) { return v.guard(true, opts) }

// Optional returns a Guard for routes that work with or without a session:
// no token yields no session and no error. A token that was sent and fails
// still fails (an expired token is [CodeTryRefreshToken], never a silent
// downgrade to anonymous).
func (v *Verifier) Optional(opts ...RouteOption) (*Guard, error) { return v.guard(false, opts) }

func (v *Verifier) guard(required bool, opts []RouteOption) (*Guard, error) {
	if v == nil {
		return nil, errors.New("sessionguard: nil *Verifier")
	}
	g := &Guard{v: v, required: required, cfg: v.route}
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
// route's renderer, or the default of semantics §5. Errors that are not a
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
		if r := g.cfg.renderer(e); r.Status >= 100 && r.Status <= 999 {
			return r
		}
		// A renderer that returns an impossible status would make every
		// framework panic or misbehave; fall back to the default.
		g.v.log.LogAttrs(context.Background(), slog.LevelError, "sessionguard: renderer returned an invalid status; using the default response")
	}
	return g.v.DefaultResponse(e)
}

// Check decides one request (semantics §3–§4). It returns:
//   - a session and nil: a verified token;
//   - nil and nil: no session, and none is needed (optional route with
//     nothing sent, or an OPTIONS request);
//   - nil and an *[Error]: send [Guard.Render] of it.
func (g *Guard) Check(ctx context.Context, r Request) (*Session, error) {
	if g == nil || r == nil {
		return nil, errNoToken // fail closed on a programming error
	}
	s, e := g.check(ctx, r)
	if e != nil {
		if g.v.log.Enabled(ctx, slog.LevelDebug) {
			g.v.log.LogAttrs(ctx, slog.LevelDebug, "sessionguard: request rejected",
				slog.String("code", string(e.Code)), slog.String("reason", e.Reason.Error()))
		}
		return nil, e
	}
	return s, nil
}

func (g *Guard) check(ctx context.Context, r Request) (*Session, *Error) {
	v := g.v
	if r.Method() == http.MethodOptions {
		return nil, nil
	}
	authz := r.Values("Authorization")
	if len(authz) > 1 {
		return nil, errDuplicateAuthz
	}
	var t token
	// 1. The header, when allowed and ours.
	if g.cfg.transfer != TransferCookie && len(authz) == 1 {
		cred, ok := bearerCredentials(authz[0])
		if ok {
			if s := v.cache.get(cred, SourceHeader, v); s != nil {
				return g.validate(s)
			}
		}
		if ok && v.classify(cred, &t) {
			t.source = SourceHeader
			s, e := v.verify(ctx, &t)
			if e != nil {
				return nil, e
			}
			return g.validate(s)
		}
	}
	// 2. The cookie, when allowed and ours.
	if g.cfg.transfer != TransferHeader {
		var vals [maxCookieOccurrence]string
		found, marker := v.cookieValues(r, vals[:0])
		var first *Error
		ours := false
		for _, cred := range found {
			cached := v.cache.get(cred, SourceCookie, v)
			if cached == nil && !v.classify(cred, &t) {
				continue
			}
			if !ours {
				ours = true
				// Cross-origin check before any verification work.
				if !v.cop.allowed(r) {
					return nil, errCrossOrigin
				}
			}
			if cached != nil {
				return g.validate(cached)
			}
			t.source = SourceCookie
			s, e := v.verify(ctx, &t)
			if e == nil {
				return g.validate(s)
			}
			if first == nil {
				first = e
			}
		}
		if ours {
			return nil, first
		}
		if marker {
			return nil, errRefreshMarker
		}
	}
	if g.required {
		return nil, errNoToken
	}
	return nil, nil
}

// validate runs the application claim validators (row 5).
func (g *Guard) validate(s *Session) (*Session, *Error) {
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

// storeFor returns the key store for a classified token.
func (v *Verifier) storeFor(t *token) *keyStore {
	if v.unbound != nil {
		return v.unbound
	}
	return v.issuers[t.claims.iss]
}

// verify checks signature, then time claims, then the other registered
// claims (semantics §4 order). It returns a session or the outcome.
func (v *Verifier) verify(ctx context.Context, t *token) (*Session, *Error) {
	if t.badHdr {
		return nil, errUnsupportedHdr
	}
	st := v.storeFor(t)
	ks := st.current()
	if ks == nil {
		return nil, errKeysUnavailable
	}
	key, e := ks.find(t.kid, t.hasKid, t.alg)
	if e == errUnknownKey && st.refreshForUnknownKid(ctx, v.bg) {
		ks = st.current()
		key, e = ks.find(t.kid, t.hasKid, t.alg)
	}
	if e != nil {
		return nil, e
	}
	if err := verifySignature(t, key); err != nil {
		return nil, errSignature
	}
	if e := v.checkClaims(&t.claims, v.now()); e != nil {
		return nil, e
	}
	s := newSession(t)
	v.cache.put(s, key, st, t.claims.exp)
	// From here on the session is shared: it must not point into request
	// memory (newSession copies the token).
	return s, nil
}

func verifySignature(t *token, key *jose.Key) error {
	sigSrc := bytesOf(t.raw[t.d2+1:])
	var buf [512]byte
	var sig []byte
	if n := b64.DecodedLen(len(sigSrc)); n <= len(buf) {
		sig = buf[:n]
	} else {
		sig = make([]byte, n)
	}
	n, err := b64.Decode(sig, sigSrc)
	if err != nil {
		return err
	}
	return jose.Verify(t.alg, key, bytesOf(t.raw[:t.d2]), sig[:n])
}

// checkClaims judges the registered claims of a verified token.
func (v *Verifier) checkClaims(c *claims, now time.Time) *Error {
	// Row 2 first, for each time claim that is well formed; then a
	// malformed time claim is row 4 like any other registered claim.
	good := c.has &^ c.badTime
	nowS := unixSeconds(now)
	if good&cExp != 0 && nowS >= c.exp+v.leeway {
		return errExpired
	}
	if good&cNbf != 0 && c.nbf > nowS+v.leeway {
		return errNotYetValid
	}
	if good&cIat != 0 && c.iat > nowS+v.leeway {
		return errNotYetValid
	}
	if c.badTime != 0 {
		return errMalformedClaims
	}
	if c.has&cExp == 0 {
		if c.bad {
			return errMalformedClaims // e.g. a payload that is not a JSON object
		}
		return errMissingExpiry
	}
	if c.bad {
		return errMalformedClaims
	}
	if v.issuers != nil {
		if _, ok := v.issuers[c.iss]; !ok || c.has&cIss == 0 {
			return errIssuer
		}
	}
	if c.sub == "" {
		return errMissingSubject
	}
	if len(v.audiences) > 0 && !audienceMatch(c.audRaw, v.audiences) {
		return errAudience
	}
	if v.maxLifetime > 0 {
		start := nowS
		if c.has&cIat != 0 {
			start = c.iat
		}
		if c.exp-start > v.maxLifetime {
			return errLifetime
		}
	}
	if n := len(v.required); n > 0 && c.required != uint32(1)<<uint(n)-1 {
		return errMissingClaim
	}
	return nil
}

// audienceMatch reports whether the raw "aud" (a string or an array of
// strings) holds one of want, without allocating.
func audienceMatch(raw []byte, want []string) bool {
	found := false
	eachString(raw, func(el []byte) bool {
		for _, w := range want {
			if stringEquals(el, w) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

// cookieValues appends the values of the configured cookie names, in request
// order, at most maxCookieOccurrence of them, and reports whether the refresh
// marker was sent: one pass over the Cookie header. Values are raw: no
// URL-unescaping; one pair of surrounding double quotes is removed.
func (v *Verifier) cookieValues(r Request, dst []string) ([]string, bool) {
	marker := false
	for _, line := range r.Values("Cookie") {
		for len(line) > 0 {
			var pair string
			pair, line, _ = cutByte(line, ';')
			name, val, ok := cutByte(trimOWS(pair), '=')
			if v.marker != "" && name == v.marker {
				marker = true
			}
			if !ok || len(dst) == maxCookieOccurrence || !v.isCookieName(name) {
				continue
			}
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			dst = append(dst, val)
		}
	}
	return dst, marker
}

func (v *Verifier) isCookieName(name string) bool {
	for _, n := range v.cookies {
		if n == name {
			return true
		}
	}
	return false
}

func cutByte(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// unixTime converts a NumericDate to time.Time.
func unixTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
