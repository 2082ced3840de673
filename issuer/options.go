package sessionissuer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Defaults (docs/lifecycle.md §1, §3, §5).
const (
	DefaultAccessTTL      = 15 * time.Minute
	DefaultSessionTTL     = 30 * 24 * time.Hour
	DefaultRefreshGrace   = 60 * time.Second
	DefaultAlgorithm      = "ES256"
	DefaultKeyRotation    = 7 * 24 * time.Hour
	DefaultJWKSMaxAge     = 10 * time.Minute
	DefaultMaxPayloadSize = 2 << 10

	DefaultAccessCookie  = "access_token"
	DefaultRefreshCookie = "refresh_token"
	DefaultMarkerCookie  = "refresh_marker"

	// MaxSubjectSize is the longest subject accepted, in bytes.
	MaxSubjectSize = 512
	// MaxOutstandingChildren is how many refresh tokens issued since the
	// last promotion stay honoured; the oldest beyond it is dropped
	// (docs/lifecycle.md §3 row 4).
	MaxOutstandingChildren = 16
	// SweepInterval is how often the background sweep deletes expired rows
	// ([Store.DeleteExpired], in batches of SweepBatch) and forgets old
	// revocations.
	SweepInterval = time.Minute
	// SweepBatch is the limit of one DeleteExpired call.
	SweepBatch = 500

	maxPayloadCap = 4 << 10
	masterKeySize = 32
)

// Theft is what the theft hook receives when a refresh token is reused after
// its grace period (docs/lifecycle.md §3 row 3). It holds no token.
type Theft struct {
	Handle  string
	Subject string
	Device  Device
}

// Option configures [New]. Options refuse bad values with an error from New.
type Option func(*config) error

type config struct {
	issuer     string
	audience   []string
	accessTTL  time.Duration
	sessionTTL time.Duration
	absolute   time.Duration
	grace      time.Duration
	alg        string
	rotation   time.Duration
	jwksMaxAge time.Duration
	masterKey  []byte
	maxPayload int
	theftHook  func(context.Context, Theft)
	observer   sessionguard.Observer // observe.go; nil: no events
	now        func() time.Time
	log        *slog.Logger
	storeTTL   time.Duration

	accessCookie, refreshCookie, markerCookie string
}

func defaults() config {
	return config{
		accessTTL:     DefaultAccessTTL,
		sessionTTL:    DefaultSessionTTL,
		grace:         DefaultRefreshGrace,
		alg:           DefaultAlgorithm,
		rotation:      DefaultKeyRotation,
		jwksMaxAge:    DefaultJWKSMaxAge,
		maxPayload:    DefaultMaxPayloadSize,
		now:           time.Now,
		log:           slog.Default(),
		storeTTL:      DefaultStoreTimeout,
		accessCookie:  DefaultAccessCookie,
		refreshCookie: DefaultRefreshCookie,
		markerCookie:  DefaultMarkerCookie,
	}
}

func (c *config) validate() error {
	switch {
	case c.issuer == "":
		return errors.New("sessionissuer: WithIssuer is required")
	case c.accessTTL >= c.sessionTTL:
		return errors.New("sessionissuer: the access lifetime must be shorter than the session lifetime")
	case c.absolute != 0 && c.absolute <= c.accessTTL:
		return errors.New("sessionissuer: the absolute session lifetime must be longer than the access lifetime")
	case c.grace >= c.sessionTTL:
		return errors.New("sessionissuer: the refresh grace must be shorter than the session lifetime")
	}
	return nil
}

func positive(name string, d time.Duration, min time.Duration) error {
	if d < min {
		return fmt.Errorf("sessionissuer: %s must be at least %v", name, min)
	}
	return nil
}

// WithIssuer sets the "iss" claim of every access token. Required; the
// verifier built from [Issuer.VerifierOptions] accepts exactly this issuer.
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return errors.New("sessionissuer: WithIssuer: empty issuer")
		}
		c.issuer = iss
		return nil
	}
}

// WithAudience puts "aud" into every access token (a string for one
// audience, an array for several) and makes [Issuer.VerifierOptions]
// require it. Default: no "aud".
func WithAudience(aud ...string) Option {
	return func(c *config) error {
		if len(aud) == 0 {
			return errors.New("sessionissuer: WithAudience: no audience")
		}
		for _, a := range aud {
			if a == "" {
				return errors.New("sessionissuer: WithAudience: empty audience")
			}
		}
		c.audience = append([]string(nil), aud...)
		return nil
	}
}

// WithAccessTTL is the access token lifetime: exp = iat + d, in whole
// seconds. Default 15 minutes; at least 1 s and shorter than the session
// lifetime.
func WithAccessTTL(d time.Duration) Option {
	return func(c *config) error {
		if err := positive("WithAccessTTL", d, time.Second); err != nil {
			return err
		}
		c.accessTTL = d
		return nil
	}
}

// WithSessionTTL is the sliding session lifetime: Create sets expires_at to
// now + d and every successful refresh moves it to now + d (capped by
// [WithAbsoluteTTL]). Default 30 days.
func WithSessionTTL(d time.Duration) Option {
	return func(c *config) error {
		if err := positive("WithSessionTTL", d, time.Second); err != nil {
			return err
		}
		c.sessionTTL = d
		return nil
	}
}

// WithAbsoluteTTL caps a session at created_at + d however often it is
// refreshed. Default: no cap. Must be longer than the access lifetime.
func WithAbsoluteTTL(d time.Duration) Option {
	return func(c *config) error {
		if err := positive("WithAbsoluteTTL", d, time.Second); err != nil {
			return err
		}
		c.absolute = d
		return nil
	}
}

// WithRefreshGrace is how long a refresh token stays honoured after it was
// first answered, or after a sibling was promoted (docs/lifecycle.md §3):
// concurrent tabs and lost answers within it succeed; a use after it is
// theft. Default 60 s; 0 allowed (every reuse after an answer is theft),
// negative refused.
func WithRefreshGrace(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return errors.New("sessionissuer: WithRefreshGrace: negative grace")
		}
		c.grace = d
		return nil
	}
}

// WithAlgorithm selects the signing algorithm: "ES256" (P-256, default),
// "EdDSA" (Ed25519) or "RS256" (2048-bit RSA).
func WithAlgorithm(alg string) Option {
	return func(c *config) error {
		switch alg {
		case "ES256", "EdDSA", "RS256":
			c.alg = alg
			return nil
		}
		return fmt.Errorf("sessionissuer: WithAlgorithm: unsupported algorithm %q (ES256, EdDSA or RS256)", alg)
	}
}

// WithKeyRotation is the signing key rotation period (docs/lifecycle.md §5).
// Default 7 days; at least 1 minute.
func WithKeyRotation(d time.Duration) Option {
	return func(c *config) error {
		if err := positive("WithKeyRotation", d, time.Minute); err != nil {
			return err
		}
		c.rotation = d
		return nil
	}
}

// WithJWKSMaxAge is the Cache-Control max-age of the JWKS document, and the
// lead by which a new key is published before it signs (capped at half the
// rotation period). Default 10 minutes; at least 1 s.
func WithJWKSMaxAge(d time.Duration) Option {
	return func(c *config) error {
		if err := positive("WithJWKSMaxAge", d, time.Second); err != nil {
			return err
		}
		c.jwksMaxAge = d
		return nil
	}
}

// WithMasterKey is a 32-byte secret kept outside the store (environment,
// secret manager). With it, private signing keys are stored encrypted
// (AES-256-GCM) and refresh-token MACs are keyed by it, so a copy of the
// database can neither sign tokens nor fabricate refresh tokens that look
// issued. Default: none — configure one in production (docs/issuer.md).
func WithMasterKey(key []byte) Option {
	return func(c *config) error {
		if len(key) != masterKeySize {
			return fmt.Errorf("sessionissuer: WithMasterKey: the key must be %d bytes", masterKeySize)
		}
		c.masterKey = append([]byte(nil), key...)
		return nil
	}
}

// WithMaxPayloadSize caps the payload's compact JSON (as encoding/json
// writes it), so an access token cookie stays under the 4096 bytes browsers
// keep. Default 2 KiB; 2 B to 4 KiB.
func WithMaxPayloadSize(n int) Option {
	return func(c *config) error {
		if n < 2 || n > maxPayloadCap {
			return fmt.Errorf("sessionissuer: WithMaxPayloadSize: must be between 2 and %d", maxPayloadCap)
		}
		c.maxPayload = n
		return nil
	}
}

// WithTheftHook is called, synchronously and after the session was revoked,
// when a refresh token is reused after its grace period (docs/lifecycle.md
// §3 row 3), at most once per session. It must return quickly. Default:
// none (the theft is logged either way, without tokens).
func WithTheftHook(fn func(ctx context.Context, t Theft)) Option {
	return func(c *config) error {
		if fn == nil {
			return errors.New("sessionissuer: WithTheftHook: nil hook")
		}
		c.theftHook = fn
		return nil
	}
}

// WithStoreTimeout bounds each store call made for a request (Create,
// Refresh, Revoke, RevokeAll, RevokeOthers, List, UpdatePayload, and the
// HTTP endpoints): a call that has not returned after d fails the operation
// with [ErrStoreUnavailable] (over HTTP 503 STORE_UNAVAILABLE with
// Retry-After, nothing cleared). Without it a store that stops answering
// but keeps its connections open (a stopped server, a row lock held
// elsewhere) would hold a request until the client gave up, since a
// request's context has no deadline. A context with an earlier deadline
// still ends the call earlier. Default [DefaultStoreTimeout] (3 s); at
// least 10 ms.
func WithStoreTimeout(d time.Duration) Option {
	return func(c *config) error {
		if err := positive("WithStoreTimeout", d, 10*time.Millisecond); err != nil {
			return err
		}
		c.storeTTL = d
		return nil
	}
}

// WithClock sets the issuer's clock (tests). Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("sessionissuer: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithLogger sets the logger for theft, feed failures and sweeps; no log
// line holds a token or a store error's text. Default slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("sessionissuer: WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithCookieNames names the access, refresh and marker cookies, used by
// [Issuer.VerifierOptions] and the HTTP layer. Defaults "access_token",
// "refresh_token", "refresh_marker"; the three must differ.
func WithCookieNames(access, refresh, marker string) Option {
	return func(c *config) error {
		for _, n := range []string{access, refresh, marker} {
			if !validCookieName(n) {
				return fmt.Errorf("sessionissuer: WithCookieNames: invalid cookie name %q", n)
			}
		}
		if access == refresh || access == marker || refresh == marker {
			return errors.New("sessionissuer: WithCookieNames: the three names must differ")
		}
		c.accessCookie, c.refreshCookie, c.markerCookie = access, refresh, marker
		return nil
	}
}

// validCookieName reports whether n is an RFC 6265 token.
func validCookieName(n string) bool {
	if n == "" || len(n) > 256 {
		return false
	}
	for i := 0; i < len(n); i++ {
		b := n[i]
		if b <= ' ' || b >= 0x7f {
			return false
		}
		switch b {
		case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
			return false
		}
	}
	return true
}
