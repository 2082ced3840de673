package sessionguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	types        []string // nil: typ not judged
	leeway       float64  // seconds
	maxLifetime  float64  // seconds, 0 = off
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
	c, err := readOptions(opts)
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		audiences:    c.audiences,
		types:        c.types,
		leeway:       c.leeway.Seconds(),
		maxLifetime:  c.maxLifetime.Seconds(),
		required:     c.required,
		maxTokenSize: c.maxTokenSize,
		cookies:      c.cookies,
		marker:       c.marker,
		cop:          newCrossOrigin(c.noCOP, c.trusted),
		log:          c.logger,
		now:          c.now,
		route:        c.route,
		responses:    newResponses(c.realm, c.retryAfter),
	}
	hasSecret, err := v.buildKeyStores(c)
	if err != nil {
		return nil, err
	}
	if v.algs, err = algorithms(c.algs, hasSecret); err != nil {
		return nil, err
	}
	v.cache = buildCache(c)
	if err := v.route.check(); err != nil {
		return nil, fmt.Errorf("sessionguard: %w", err)
	}
	v.startFetchers() // last: nothing above can fail after this
	return v, nil
}

// readOptions applies opts over the defaults and checks what needs all of
// them at once.
func readOptions(opts []Option) (*config, error) {
	c := &config{
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
		if err := o.applyVerifier(c); err != nil {
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
	return c, nil
}

// buildKeyStores builds one key store per distinct *KeySource and binds
// them to their issuers. It reports whether any source is an HMAC secret.
func (v *Verifier) buildKeyStores(c *config) (hasSecret bool, err error) {
	built := map[*KeySource]*keyStore{}
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
			return false, fmt.Errorf("sessionguard: key source: %w", err)
		}
		v.unbound = st
		return hasSecret, nil
	}
	v.issuers = make(map[string]*keyStore, len(c.issuers))
	v.issuerNames = make(map[string]string, len(c.issuers))
	for _, iss := range c.issuerOrder {
		v.issuerNames[iss] = iss
		st, err := store(c.issuers[iss])
		if err != nil {
			return false, fmt.Errorf("sessionguard: issuer %q: %w", iss, err)
		}
		st.names = append(st.names, iss)
		v.issuers[iss] = st
	}
	return hasSecret, nil
}

// algorithms returns the allow-list: the configured one, or the asymmetric
// algorithms plus HS* when a secret is configured. HS* needs a secret.
func algorithms(configured []string, hasSecret bool) ([]string, error) {
	if configured == nil {
		algs := append([]string(nil), jose.Asymmetric...)
		if hasSecret {
			algs = append(algs, jose.Symmetric...)
		}
		return algs, nil
	}
	for _, a := range configured {
		if jose.IsSymmetric(a) && !hasSecret {
			return nil, fmt.Errorf("sessionguard: algorithm %s needs an HMACSecret key source", a)
		}
	}
	return configured, nil
}

// buildCache returns the configured verified-token cache, or nil when off.
func buildCache(c *config) *tokenCache {
	if c.cacheEntries < 0 {
		return nil
	}
	entries, bytes := c.cacheEntries, c.cacheBytes
	if entries == 0 {
		entries, bytes = DefaultCacheEntries, DefaultCacheBytes
	}
	return newTokenCache(entries, bytes, c.now, c.leeway.Seconds())
}

// startFetchers starts the background refresh of every remote key set.
func (v *Verifier) startFetchers() {
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
