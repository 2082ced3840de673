package sessionguard

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"time"
)

// Defaults of a remote JWKS or [FromLoader] source.
const (
	DefaultFetchTimeout       = 5 * time.Second
	DefaultMaxBodySize        = 1 << 20
	DefaultMaxKeys            = 100
	DefaultMinRefreshInterval = 30 * time.Second
	DefaultRefreshInterval    = 15 * time.Minute
	DefaultMaxRefreshInterval = 24 * time.Hour
)

// KeySource supplies the keys that verify tokens. Build one with [RemoteJWKS],
// [FromLoader], [StaticJWKS], [PublicKeys] or [HMACSecret] and hand it to
// [WithIssuer] (keys bound to one issuer: the recommended form) or
// [WithKeySource] (keys for tokens of any issuer). Errors in a source surface
// from [New].
//
// A KeySource is a description; each [Verifier] built from it keeps its own
// keys and, for a remote or loader source, its own background refresher
// (docs/keysets.md). Passing the same *KeySource to [WithIssuer] for several
// issuers shares one key set between them.
type KeySource struct {
	kind   sourceKind
	url    string
	loader KeyLoader
	remote remoteConfig
	doc    []byte
	keys   []PublicKey
	secret struct {
		kid, alg string
		b        []byte
	}
	err error // a configuration mistake reported by New (a nil RemoteOption)
}

type sourceKind uint8

const (
	sourceRemote sourceKind = iota + 1
	sourceStatic
	sourceKeys
	sourceSecret
	sourceLoader
)

// PublicKey is one explicit verification key for [PublicKeys].
type PublicKey struct {
	// ID is matched against the token header's "kid". It may be empty when
	// the source holds a single key for the token's algorithm.
	ID string
	// Algorithm pins the key to one JWS algorithm ("RS256", "ES256", ...).
	// Empty lets the key serve every algorithm of its type and curve.
	Algorithm string
	// Key is *rsa.PublicKey (2048 bits or more), *ecdsa.PublicKey (P-256,
	// P-384, P-521) or ed25519.PublicKey.
	Key crypto.PublicKey
}

// RemoteJWKS is a JWK Set fetched from url. Fetching starts in the
// background when the [Verifier] is built; construction never blocks. Until
// the first fetch succeeds, tokens of its issuer get [CodeKeysUnavailable];
// a failed first fetch is retried after 1 s, 2 s, 4 s ... (at most 30 s).
//
// Security behaviour: only https URLs are accepted unless the host is a
// loopback address or [WithInsecureHTTP] is given; redirects are held to the
// same rule, and a redirect never leaves https for plain http (not even to a
// loopback host). Symmetric ("oct") keys, RSA keys under 2048 bits,
// encryption keys and keys with broken material (an EC point off its curve,
// an impossible RSA exponent) are ignored. The body is capped
// ([WithMaxBodySize]) and so is the number of keys ([WithMaxKeys]). A failed
// refresh keeps the last good set; a document without a usable key is a
// failed refresh.
//
// Refresh: every [DefaultRefreshInterval], or as Cache-Control: max-age says,
// clamped to [WithMinRefreshInterval] and [WithMaxRefreshInterval]. A token
// with an unknown "kid" triggers a refresh at once, rate-limited to one such
// refresh per minimum interval (periodic refreshes do not count against it)
// and shared by every request that needs it; such a request waits at most
// the fetch timeout. Requests whose kid is known never wait. The schedule
// and the diagnostics of a set that does not load are in docs/keysets.md.
func RemoteJWKS(url string, opts ...RemoteOption) *KeySource {
	s := &KeySource{kind: sourceRemote, url: url}
	s.configure(opts)
	return s
}

// KeyLoader loads the current keys of a key source; the core decides when
// (schedule, backoff, unknown-kid refresh, single-flight) — docs/keysets.md.
type KeyLoader interface {
	// LoadKeys returns the source's current public keys and how long they
	// may be used before loading again (0: the source's refresh interval).
	LoadKeys(ctx context.Context) (keys []PublicKey, maxAge time.Duration, err error)
}

// FromLoader is a key source whose keys come from l, loaded in the background
// like a remote JWKS (same scheduler, same validation of keys).
//
// LoadKeys runs on a goroutine of the [Verifier], never on a request's; it
// gets a context bounded by [WithFetchTimeout] and must return when that
// context ends ([Verifier.Close] waits for it). A positive maxAge is clamped
// to [WithMinRefreshInterval] and [WithMaxRefreshInterval]; 0 (or a negative
// value) means [WithRefreshInterval]. Keys are judged like those of a JWK
// Set: unusable ones (RSA under 2048 bits, unsupported curves, broken
// material, an Algorithm that does not fit) are dropped, at most
// [WithMaxKeys] are examined, and a load with no usable key, an error or a
// panic is a failed load that keeps the last good set. The keys are copied;
// the loader may reuse its slice.
//
// The schedule options apply ([WithFetchTimeout], [WithMinRefreshInterval],
// [WithRefreshInterval], [WithMaxRefreshInterval], [WithMaxKeys]); the HTTP
// options ([WithMaxBodySize], [WithHTTPClient], [WithInsecureHTTP]) and a nil
// l are errors from [New].
func FromLoader(l KeyLoader, opts ...RemoteOption) *KeySource {
	s := &KeySource{kind: sourceLoader, loader: l}
	s.configure(opts)
	return s
}

// configure applies the defaults and then opts; a nil option is kept as an
// error for New, as nil Options are.
func (s *KeySource) configure(opts []RemoteOption) {
	s.remote = remoteConfig{
		timeout:     DefaultFetchTimeout,
		maxBody:     DefaultMaxBodySize,
		maxKeys:     DefaultMaxKeys,
		minInterval: DefaultMinRefreshInterval,
		interval:    DefaultRefreshInterval,
		maxInterval: DefaultMaxRefreshInterval,
	}
	for _, o := range opts {
		if o == nil {
			if s.err == nil {
				s.err = errors.New("nil RemoteOption")
			}
			continue
		}
		o.applyRemote(&s.remote)
	}
}

// StaticJWKS is a JWK Set document held in memory. The same keys are ignored
// as for [RemoteJWKS]; a document with no usable key is an error from [New].
func StaticJWKS(doc []byte) *KeySource {
	return &KeySource{kind: sourceStatic, doc: append([]byte(nil), doc...)}
}

// PublicKeys is a fixed set of public keys.
func PublicKeys(keys ...PublicKey) *KeySource {
	return &KeySource{kind: sourceKeys, keys: append([]PublicKey(nil), keys...)}
}

// HMACSecret is a shared secret for HS256/HS384/HS512 tokens. HMAC is off
// unless a verifier is given such a source explicitly: anybody who can verify
// with the secret can also mint tokens. alg pins one HS algorithm (empty: any
// of the three); kid may be empty. The secret must be at least 32 bytes.
func HMACSecret(kid, alg string, secret []byte) *KeySource {
	s := &KeySource{kind: sourceSecret}
	s.secret.kid, s.secret.alg, s.secret.b = kid, alg, append([]byte(nil), secret...)
	return s
}

// RemoteOption configures a [RemoteJWKS] or [FromLoader] source. Only this
// package builds them (the With* functions below); a nil one is an error from
// [New].
type RemoteOption interface {
	applyRemote(*remoteConfig)
}

// remoteOption is the one implementation of RemoteOption. httpOnly names the
// options that mean nothing to a KeyLoader, so that New can refuse them.
type remoteOption struct {
	httpOnly string
	apply    func(*remoteConfig)
}

func (o remoteOption) applyRemote(c *remoteConfig) {
	o.apply(c)
	if o.httpOnly != "" && c.httpOnly == "" {
		c.httpOnly = o.httpOnly
	}
}

func scheduleOption(f func(*remoteConfig)) RemoteOption { return remoteOption{apply: f} }

func httpOption(name string, f func(*remoteConfig)) RemoteOption {
	return remoteOption{httpOnly: name, apply: f}
}

type remoteConfig struct {
	timeout, minInterval, interval, maxInterval time.Duration
	maxBody, maxKeys                            int
	insecure                                    bool
	client                                      *http.Client
	httpOnly                                    string // first HTTP-only option given
}

// WithFetchTimeout bounds one fetch (or load) of the key set, and so the
// longest a request waits for a refresh. Default [DefaultFetchTimeout] (5 s).
func WithFetchTimeout(d time.Duration) RemoteOption {
	return scheduleOption(func(c *remoteConfig) { c.timeout = d })
}

// WithMaxBodySize caps the key-set document. Default [DefaultMaxBodySize]
// (1 MiB). HTTP only: an error from [New] for a [FromLoader] source.
func WithMaxBodySize(n int) RemoteOption {
	return httpOption("WithMaxBodySize", func(c *remoteConfig) { c.maxBody = n })
}

// WithMaxKeys caps how many keys of a document (or of a load) are examined;
// the rest are ignored. Default [DefaultMaxKeys] (100).
func WithMaxKeys(n int) RemoteOption {
	return scheduleOption(func(c *remoteConfig) { c.maxKeys = n })
}

// WithMinRefreshInterval is the least time between two refreshes triggered
// by unknown kids, the retry interval after a failed refresh, and the lower
// clamp of Cache-Control. Default [DefaultMinRefreshInterval] (30 s).
func WithMinRefreshInterval(d time.Duration) RemoteOption {
	return scheduleOption(func(c *remoteConfig) { c.minInterval = d })
}

// WithRefreshInterval is the periodic refresh interval used when the response
// has no Cache-Control max-age. Default [DefaultRefreshInterval] (15 min).
func WithRefreshInterval(d time.Duration) RemoteOption {
	return scheduleOption(func(c *remoteConfig) { c.interval = d })
}

// WithMaxRefreshInterval is the upper clamp of Cache-Control max-age.
// Default [DefaultMaxRefreshInterval] (24 h).
func WithMaxRefreshInterval(d time.Duration) RemoteOption {
	return scheduleOption(func(c *remoteConfig) { c.maxInterval = d })
}

// WithHTTPClient fetches with c instead of a client of sessionguard's own.
// Its Timeout is ignored in favour of [WithFetchTimeout]; its redirect policy
// is wrapped so that redirects obey the https rule. A nil c means the default
// client. HTTP only: an error from [New] for a [FromLoader] source.
func WithHTTPClient(c *http.Client) RemoteOption {
	return httpOption("WithHTTPClient", func(rc *remoteConfig) { rc.client = c })
}

// WithInsecureHTTP allows a plain-http URL on a non-loopback host. Only for
// networks where transport security is provided otherwise. Redirects from
// https to http stay refused. HTTP only: an error from [New] for a
// [FromLoader] source.
func WithInsecureHTTP() RemoteOption {
	return httpOption("WithInsecureHTTP", func(c *remoteConfig) { c.insecure = true })
}

func (c *remoteConfig) validate() error {
	switch {
	case c.timeout <= 0:
		return errors.New("fetch timeout must be positive")
	case c.maxBody <= 0:
		return errors.New("max body size must be positive")
	case c.maxKeys <= 0:
		return errors.New("max keys must be positive")
	case c.minInterval <= 0:
		return errors.New("min refresh interval must be positive")
	case c.interval < c.minInterval:
		return errors.New("refresh interval must not be below the min refresh interval")
	case c.maxInterval < c.interval:
		return errors.New("max refresh interval must not be below the refresh interval")
	}
	return nil
}
