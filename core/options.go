package sessionguard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// Defaults of a [Verifier].
const (
	DefaultCookieName   = "access_token"
	DefaultRealm        = "api"
	DefaultLeeway       = 30 * time.Second
	DefaultMaxTokenSize = 8 << 10
	DefaultRetryAfter   = 5 * time.Second
	maxLeeway           = 5 * time.Minute
	maxCookieOccurrence = 4
)

// Transfer restricts where a token may be read from.
type Transfer uint8

const (
	// TransferAny reads the Authorization header, then the cookie (default).
	TransferAny Transfer = iota
	// TransferHeader reads only the Authorization: Bearer header.
	TransferHeader
	// TransferCookie reads only the access-token cookie.
	TransferCookie
)

// String returns "any", "header" or "cookie".
func (t Transfer) String() string {
	switch t {
	case TransferAny:
		return "any"
	case TransferHeader:
		return "header"
	case TransferCookie:
		return "cookie"
	}
	return fmt.Sprintf("Transfer(%d)", uint8(t))
}

func (t Transfer) valid() bool { return t <= TransferCookie }

// JSONKind is the JSON type a required claim must have.
type JSONKind uint8

// JSON kinds for [WithRequiredClaim].
const (
	KindAny JSONKind = iota
	KindString
	KindNumber
	KindBool
	KindArray
	KindObject
)

// Option configures a [Verifier] in [New].
type Option interface{ applyVerifier(*config) error }

// RouteOption configures one [Guard] ([Verifier.Required], [Verifier.Optional]).
type RouteOption interface{ applyRoute(*routeConfig) error }

// SharedOption is accepted both by [New] (as the verifier-wide default) and
// by [Verifier.Required]/[Verifier.Optional] (for one route).
type SharedOption interface {
	Option
	RouteOption
}

type optionFunc func(*config) error

func (f optionFunc) applyVerifier(c *config) error { return f(c) }

type sharedFunc func(*routeConfig) error

func (f sharedFunc) applyVerifier(c *config) error   { return f(&c.route) }
func (f sharedFunc) applyRoute(r *routeConfig) error { return f(r) }

type routeFunc func(*routeConfig) error

func (f routeFunc) applyRoute(r *routeConfig) error { return f(r) }

type config struct {
	issuers      map[string]*KeySource
	issuerOrder  []string
	unbound      *KeySource
	audiences    []string
	leeway       time.Duration
	maxLifetime  time.Duration
	required     []requiredClaim
	algs         []string
	maxTokenSize int
	cookies      []string
	marker       string
	realm        string
	trusted      []string
	noCOP        bool
	retryAfter   time.Duration
	types        []string // WithTokenType, full lower-case media types
	cacheEntries int      // 0: default, <0: off
	cacheBytes   int
	logger       *slog.Logger
	now          func() time.Time
	route        routeConfig
	ext          extConfig // presets.go: presets, session-id claim, observer
}

type routeConfig struct {
	transfer   Transfer
	validators []ClaimValidator
	renderer   Renderer
	skip       func(Request) bool
	revocation RevocationChecker // nil: no revocation check
	owner      *Adapter          // the adapter building the guard (not an option)
}

type requiredClaim struct {
	name string
	kind JSONKind
}

// WithIssuer accepts tokens whose "iss" is issuer, verified only with keys
// of src. May be given several times (one source per issuer). When any
// issuer is configured, a token whose unverified "iss" is not one of them
// is treated as not sent (left for other middleware), and "iss" must match
// exactly.
func WithIssuer(issuer string, src *KeySource) Option {
	return optionFunc(func(c *config) error {
		if issuer == "" {
			return errors.New("WithIssuer: empty issuer")
		}
		if src == nil {
			return errors.New("WithIssuer: nil key source")
		}
		if _, dup := c.issuers[issuer]; dup {
			return fmt.Errorf("WithIssuer: issuer %q configured twice", issuer)
		}
		if c.issuers == nil {
			c.issuers = make(map[string]*KeySource)
		}
		c.issuers[issuer] = src
		c.issuerOrder = append(c.issuerOrder, issuer)
		return nil
	})
}

// WithKeySource verifies tokens of any issuer with src. Prefer [WithIssuer]:
// issuer-bound keys stop a token of one provider being accepted by keys of
// another. It cannot be combined with WithIssuer.
func WithKeySource(src *KeySource) Option {
	return optionFunc(func(c *config) error {
		if src == nil {
			return errors.New("WithKeySource: nil key source")
		}
		if c.unbound != nil {
			return errors.New("WithKeySource given twice")
		}
		c.unbound = src
		return nil
	})
}

// WithAudience requires the "aud" claim (a string or an array of strings) to
// contain at least one of auds. Default: "aud" is not checked. An empty
// list is refused (it would silently leave "aud" unchecked), as is an
// empty audience.
func WithAudience(auds ...string) Option {
	return optionFunc(func(c *config) error {
		if len(auds) == 0 {
			return errors.New("WithAudience: empty list")
		}
		for _, a := range auds {
			if a == "" {
				return errors.New("WithAudience: empty audience")
			}
		}
		c.audiences = append(c.audiences, auds...)
		return nil
	})
}

// WithLeeway is the clock skew tolerated for "exp", "nbf" and "iat".
// Default [DefaultLeeway] (30 s); at most 5 minutes.
func WithLeeway(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < 0 || d > maxLeeway {
			return errors.New("WithLeeway: must be between 0 and 5m")
		}
		c.leeway = d
		return nil
	})
}

// WithMaxLifetime rejects tokens whose lifetime (exp-iat, or exp-now without
// iat) exceeds d, with [CodeUnauthorised]. Default: no maximum.
func WithMaxLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d <= 0 {
			return errors.New("WithMaxLifetime: must be positive")
		}
		c.maxLifetime = d
		return nil
	})
}

// WithRequiredClaim requires the payload to carry name with the given JSON
// kind; otherwise the token is rejected with [CodeUnauthorised].
func WithRequiredClaim(name string, kind JSONKind) Option {
	return optionFunc(func(c *config) error {
		if name == "" || kind > KindObject {
			return errors.New("WithRequiredClaim: empty name or unknown kind")
		}
		if len(c.required) >= 32 {
			return errors.New("WithRequiredClaim: at most 32 required claims")
		}
		c.required = append(c.required, requiredClaim{name, kind})
		return nil
	})
}

// WithAlgorithms restricts the accepted "alg" values. Default: the asymmetric
// algorithms RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA, plus the
// HS algorithms only when an [HMACSecret] source is configured. "none" is
// never accepted, and HS* only with an HMAC secret.
func WithAlgorithms(algs ...string) Option {
	return optionFunc(func(c *config) error {
		if len(algs) == 0 {
			return errors.New("WithAlgorithms: empty list")
		}
		for _, a := range algs {
			if !jose.Known(a) {
				return fmt.Errorf("WithAlgorithms: unsupported algorithm %q", a)
			}
		}
		c.algs = append([]string(nil), algs...)
		return nil
	})
}

// WithMaxTokenSize caps the length of a token; longer credentials are
// treated as not sent. Default [DefaultMaxTokenSize] (8 KiB); 256 B to 64 KiB.
func WithMaxTokenSize(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 256 || n > 64<<10 {
			return errors.New("WithMaxTokenSize: must be between 256 and 65536")
		}
		c.maxTokenSize = n
		return nil
	})
}

// WithCookie names the access-token cookie(s). Default [DefaultCookieName]
// ("access_token"). Several names are read in the order they appear in the
// request (useful while renaming a cookie).
// With a provider preset the preset's names are read as well
// (docs/providers.md).
func WithCookie(names ...string) Option {
	return optionFunc(func(c *config) error {
		if len(names) == 0 {
			return errors.New("WithCookie: no name")
		}
		for _, n := range names {
			if !validCookieName(n) {
				return fmt.Errorf("WithCookie: invalid cookie name %q", n)
			}
		}
		c.cookies = append([]string(nil), names...)
		return nil
	})
}

// WithRefreshMarker names a cookie whose presence means a long-term session
// probably exists. When no token is selected but the marker is sent (and the
// transfer method allows cookies), the outcome is [CodeTryRefreshToken]
// instead of UNAUTHORISED or no session. Default: no marker.
func WithRefreshMarker(name string) Option {
	return optionFunc(func(c *config) error {
		if !validCookieName(name) {
			return fmt.Errorf("WithRefreshMarker: invalid cookie name %q", name)
		}
		c.marker = name
		return nil
	})
}

// WithRealm sets the realm of WWW-Authenticate. Default [DefaultRealm] ("api").
func WithRealm(realm string) Option {
	return optionFunc(func(c *config) error {
		if realm == "" || !rfc6750Chars(realm) {
			return errors.New(`WithRealm: realm must be non-empty printable ASCII without " or \`)
		}
		c.realm = realm
		return nil
	})
}

// WithTrustedOrigins allows these exact origins ("https://app.example.com")
// to send unsafe requests authenticated by the cookie. Default: none.
func WithTrustedOrigins(origins ...string) Option {
	return optionFunc(func(c *config) error {
		for _, o := range origins {
			u, err := url.Parse(o)
			if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("WithTrustedOrigins: invalid origin %q (want scheme://host[:port])", o)
			}
		}
		c.trusted = append(c.trusted, origins...)
		return nil
	})
}

// WithoutCrossOriginProtection turns off the cross-origin check for
// cookie-carried tokens. Only do this when another layer (for example
// net/http.CrossOriginProtection around the whole server) does the check.
func WithoutCrossOriginProtection() Option {
	return optionFunc(func(c *config) error { c.noCOP = true; return nil })
}

// WithRetryAfter sets the Retry-After of KEYS_UNAVAILABLE responses. Default
// [DefaultRetryAfter] (5 s); whole seconds, at least 1.
func WithRetryAfter(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < time.Second {
			return errors.New("WithRetryAfter: at least 1s")
		}
		c.retryAfter = d
		return nil
	})
}

// WithLogger receives rejection reasons (at Debug level) and key-set fetch
// failures (at Warn). Log lines carry codes and reasons, never token
// material or library error text. Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.logger = l
		return nil
	})
}

// WithClock replaces time.Now (for tests).
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) error {
		if now == nil {
			return errors.New("WithClock: nil clock")
		}
		c.now = now
		return nil
	})
}

// WithTransfer sets where tokens are read from: verifier-wide in [New],
// or for one route. Default [TransferAny].
func WithTransfer(t Transfer) SharedOption {
	return sharedFunc(func(r *routeConfig) error {
		if !t.valid() {
			return fmt.Errorf("WithTransfer: unknown transfer method %d", uint8(t))
		}
		r.transfer = t
		return nil
	})
}

// WithClaims adds application claim validators; a failure is answered with
// [CodeInvalidClaims] (403). Verifier-wide validators run before a route's.
func WithClaims(validators ...ClaimValidator) SharedOption {
	return sharedFunc(func(r *routeConfig) error {
		for _, v := range validators {
			if v.id == "" || v.check == nil {
				return errors.New("WithClaims: zero ClaimValidator (build one with Includes, IncludesAny or ClaimFunc)")
			}
		}
		r.validators = append(r.validators, validators...)
		return nil
	})
}

// WithRenderer replaces the default error responses of docs/semantics.md §5.
// Default: [Verifier.DefaultResponse].
func WithRenderer(r Renderer) SharedOption {
	return sharedFunc(func(rc *routeConfig) error {
		if r == nil {
			return errors.New("WithRenderer: nil renderer")
		}
		rc.renderer = r
		return nil
	})
}

// WithSkip lets a route pass requests for which skip returns true straight
// to the handler, unverified and without a session. Default: none skipped.
// skip sees the neutral [Request] view, so it works with every adapter;
// adapters build their framework-typed hooks (Echo's Skipper, Fiber's Next)
// on it as options they own ([Adapter.Own]).
func WithSkip(skip func(Request) bool) RouteOption {
	return routeFunc(func(r *routeConfig) error {
		if skip == nil {
			return errors.New("WithSkip: nil function")
		}
		r.skip = skip
		return nil
	})
}

func validCookieName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c <= ' ' || c >= 0x7f || c == '=' || c == ';' || c == ',' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// rfc6750Chars reports whether s uses only %x20-21 / %x23-5B / %x5D-7E.
func rfc6750Chars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
