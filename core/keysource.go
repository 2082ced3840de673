package sessionguard

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// Defaults of a remote JWKS source.
const (
	DefaultFetchTimeout       = 5 * time.Second
	DefaultMaxBodySize        = 1 << 20
	DefaultMaxKeys            = 100
	DefaultMinRefreshInterval = 30 * time.Second
	DefaultRefreshInterval    = 15 * time.Minute
	DefaultMaxRefreshInterval = 24 * time.Hour
	maxFirstFetchBackoff      = 30 * time.Second
	firstFetchBackoff         = time.Second
)

// KeySource supplies the keys that verify tokens. Build one with [RemoteJWKS],
// [StaticJWKS], [PublicKeys] or [HMACSecret] and hand it to [WithIssuer] (keys
// bound to one issuer: the recommended form) or [WithKeySource] (keys for
// tokens of any issuer). Errors in a source surface from [New].
//
// A KeySource is a description; each [Verifier] built from it keeps its own
// keys and, for a remote source, its own fetcher. Passing the same *KeySource
// to [WithIssuer] for several issuers shares one key set between them.
type KeySource struct {
	kind   sourceKind
	url    string
	remote remoteConfig
	doc    []byte
	keys   []PublicKey
	secret struct {
		kid, alg string
		b        []byte
	}
}

type sourceKind uint8

const (
	sourceRemote sourceKind = iota + 1
	sourceStatic
	sourceKeys
	sourceSecret
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
// same rule. Symmetric ("oct") keys, RSA keys under 2048 bits and encryption
// keys in the set are ignored. The body is capped ([WithMaxBodySize]) and so
// is the number of keys ([WithMaxKeys]). A failed refresh keeps the last
// good set.
//
// Refresh: every [DefaultRefreshInterval], or as Cache-Control: max-age says,
// clamped to [WithMinRefreshInterval] and [WithMaxRefreshInterval]. A token
// with an unknown "kid" triggers one refresh, rate-limited to one per
// minimum interval and shared by every request that needs it; such a request
// waits at most the fetch timeout. Requests whose kid is known never wait.
func RemoteJWKS(url string, opts ...RemoteOption) *KeySource {
	s := &KeySource{kind: sourceRemote, url: url, remote: remoteConfig{
		timeout:     DefaultFetchTimeout,
		maxBody:     DefaultMaxBodySize,
		maxKeys:     DefaultMaxKeys,
		minInterval: DefaultMinRefreshInterval,
		interval:    DefaultRefreshInterval,
		maxInterval: DefaultMaxRefreshInterval,
	}}
	for _, o := range opts {
		if o != nil {
			o(&s.remote)
		}
	}
	return s
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

// RemoteOption configures a [RemoteJWKS] source.
type RemoteOption func(*remoteConfig)

type remoteConfig struct {
	timeout, minInterval, interval, maxInterval time.Duration
	maxBody, maxKeys                            int
	insecure                                    bool
	client                                      *http.Client
}

// WithFetchTimeout bounds one fetch of the key set, and so the longest a
// request waits for a refresh. Default [DefaultFetchTimeout] (5 s).
func WithFetchTimeout(d time.Duration) RemoteOption {
	return func(c *remoteConfig) { c.timeout = d }
}

// WithMaxBodySize caps the key-set document. Default [DefaultMaxBodySize] (1 MiB).
func WithMaxBodySize(n int) RemoteOption { return func(c *remoteConfig) { c.maxBody = n } }

// WithMaxKeys caps how many keys of a document are examined. Default
// [DefaultMaxKeys] (100).
func WithMaxKeys(n int) RemoteOption { return func(c *remoteConfig) { c.maxKeys = n } }

// WithMinRefreshInterval is the least time between two fetches, which bounds
// refreshes triggered by unknown kids, and the lower clamp of Cache-Control.
// Default [DefaultMinRefreshInterval] (30 s).
func WithMinRefreshInterval(d time.Duration) RemoteOption {
	return func(c *remoteConfig) { c.minInterval = d }
}

// WithRefreshInterval is the periodic refresh interval used when the response
// has no Cache-Control max-age. Default [DefaultRefreshInterval] (15 min).
func WithRefreshInterval(d time.Duration) RemoteOption {
	return func(c *remoteConfig) { c.interval = d }
}

// WithMaxRefreshInterval is the upper clamp of Cache-Control max-age.
// Default [DefaultMaxRefreshInterval] (24 h).
func WithMaxRefreshInterval(d time.Duration) RemoteOption {
	return func(c *remoteConfig) { c.maxInterval = d }
}

// WithHTTPClient fetches with c instead of a client of sessionguard's own.
// Its Timeout is ignored in favour of [WithFetchTimeout]; its redirect policy
// is wrapped so that redirects obey the https rule.
func WithHTTPClient(c *http.Client) RemoteOption {
	return func(rc *remoteConfig) { rc.client = c }
}

// WithInsecureHTTP allows a plain-http URL on a non-loopback host. Only for
// networks where transport security is provided otherwise.
func WithInsecureHTTP() RemoteOption { return func(c *remoteConfig) { c.insecure = true } }

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

// allowedURL applies the https rule.
func allowedURL(u *url.URL, insecure bool) error {
	if u.Scheme == "https" {
		return nil
	}
	if u.Scheme != "http" {
		return fmt.Errorf("JWKS URL scheme %q is not http(s)", u.Scheme)
	}
	if insecure || isLoopback(u.Hostname()) {
		return nil
	}
	return errors.New("JWKS URL must use https unless the host is loopback (or WithInsecureHTTP is set)")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keySet is one immutable generation of keys.
type keySet struct {
	byKid map[string][]*jose.Key
	all   []*jose.Key
}

func newKeySet(keys []*jose.Key) *keySet {
	ks := &keySet{byKid: make(map[string][]*jose.Key, len(keys)), all: keys}
	for _, k := range keys {
		if k.ID != "" {
			ks.byKid[k.ID] = append(ks.byKid[k.ID], k)
		}
	}
	return ks
}

// find returns the key for a token, or the reason there is none.
func (ks *keySet) find(kid string, hasKid bool, alg string) (*jose.Key, *Error) {
	if hasKid {
		list, ok := ks.byKid[kid]
		if !ok {
			return nil, errUnknownKey
		}
		for _, k := range list {
			if k.Supports(alg) {
				return k, nil
			}
		}
		return nil, errAlgMismatch
	}
	var found *jose.Key
	for _, k := range ks.all {
		if k.Supports(alg) {
			if found != nil {
				return nil, errSignature // ambiguous: several keys could serve
			}
			found = k
		}
	}
	if found == nil {
		return nil, errSignature
	}
	return found, nil
}

func (ks *keySet) contains(k *jose.Key) bool {
	if k.ID != "" {
		for _, c := range ks.byKid[k.ID] {
			if c == k {
				return true
			}
		}
		return false
	}
	for _, c := range ks.all {
		if c == k {
			return true
		}
	}
	return false
}

// keyStore is a verifier's live copy of one KeySource.
type keyStore struct {
	set    atomic.Pointer[keySet]
	loaded chan struct{}
	once   sync.Once
	remote *fetcher
}

func (s *keyStore) current() *keySet { return s.set.Load() }

// replace installs keys, keeping the identity of keys that did not change so
// that caches keyed on them survive a refresh.
func (s *keyStore) replace(keys []*jose.Key) {
	if old := s.set.Load(); old != nil {
		for i, k := range keys {
			for _, o := range old.all {
				if o.Equal(k) {
					keys[i] = o
					break
				}
			}
		}
	}
	s.set.Store(newKeySet(keys))
	s.once.Do(func() { close(s.loaded) })
}

func newStore(src *KeySource, log *slog.Logger, now func() time.Time) (*keyStore, error) {
	st := &keyStore{loaded: make(chan struct{})}
	switch src.kind {
	case sourceRemote:
		if err := src.remote.validate(); err != nil {
			return nil, err
		}
		u, err := url.Parse(src.url)
		if err != nil || u.Host == "" {
			return nil, errors.New("JWKS URL is not an absolute URL")
		}
		if err := allowedURL(u, src.remote.insecure); err != nil {
			return nil, err
		}
		st.remote = newFetcher(st, src.url, src.remote, log, now)
	case sourceStatic:
		keys, _, err := jose.ParseSet(src.doc, 0)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, errors.New("static JWKS has no usable signature key")
		}
		st.replace(keys)
	case sourceKeys:
		if len(src.keys) == 0 {
			return nil, errors.New("PublicKeys needs at least one key")
		}
		keys := make([]*jose.Key, 0, len(src.keys))
		for _, pk := range src.keys {
			k, err := jose.FromPublic(pk.ID, pk.Algorithm, pk.Key)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
		st.replace(keys)
	case sourceSecret:
		k, err := jose.FromSecret(src.secret.kid, src.secret.alg, src.secret.b)
		if err != nil {
			return nil, err
		}
		st.replace([]*jose.Key{k})
	default:
		return nil, errors.New("zero KeySource: build one with RemoteJWKS, StaticJWKS, PublicKeys or HMACSecret")
	}
	return st, nil
}

// fetcher keeps a remote key set fresh.
type fetcher struct {
	store  *keyStore
	url    string
	cfg    remoteConfig
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	mu        sync.Mutex
	cur       *flight
	lastStart time.Time
	due       time.Time
	backoff   time.Duration
	wake      chan struct{}

	closed  bool           // set by wait: start no more fetches
	wg      sync.WaitGroup // fetch goroutines; see wait
	fetches atomic.Int64
}

type flight struct{ done chan struct{} }

func newFetcher(st *keyStore, rawURL string, cfg remoteConfig, log *slog.Logger, now func() time.Time) *fetcher {
	base := cfg.client
	if base == nil {
		base = &http.Client{Transport: http.DefaultTransport}
	}
	c := *base
	c.Timeout = 0 // the per-fetch context carries the timeout
	prev := base.CheckRedirect
	insecure := cfg.insecure
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return errors.New("too many redirects")
		}
		if err := allowedURL(req.URL, insecure); err != nil {
			return err
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	return &fetcher{store: st, url: rawURL, cfg: cfg, client: &c, log: log, now: now,
		backoff: firstFetchBackoff, wake: make(chan struct{}, 1)}
}

// run keeps the set fresh until ctx ends.
func (f *fetcher) run(ctx context.Context) {
	for {
		f.mu.Lock()
		d := f.due.Sub(f.now())
		f.mu.Unlock()
		if d <= 0 {
			fl := f.start(ctx, true)
			if fl == nil {
				return // ctx ended: start refuses new fetches
			}
			select {
			case <-fl.done:
			case <-ctx.Done():
				return
			}
			continue
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-f.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// start begins a fetch, or joins the one in flight. Without force it respects
// the minimum interval and returns nil when a fetch would be too soon. Once
// ctx has ended (the verifier is closed) it starts nothing and returns nil.
func (f *fetcher) start(ctx context.Context, force bool) *flight {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cur != nil {
		return f.cur
	}
	if f.closed || ctx.Err() != nil {
		return nil
	}
	now := f.now()
	if !force && !f.lastStart.IsZero() && now.Sub(f.lastStart) < f.cfg.minInterval {
		return nil
	}
	fl := &flight{done: make(chan struct{})}
	f.cur, f.lastStart = fl, now
	f.wg.Add(1) // under mu: see wait
	go func() {
		defer f.wg.Done()
		f.fetch(ctx, fl)
	}()
	return fl
}

// wait stops new fetches and blocks until every fetch goroutine has
// returned; call it after cancelling the context given to start, so that a
// fetch in flight ends promptly. Every wg.Add happens under mu before closed
// is set, so none races the Wait.
func (f *fetcher) wait() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wg.Wait()
}

// refreshForUnknownKid runs (or joins) a rate-limited refresh and waits for
// it at most the fetch timeout. It reports whether a refresh completed.
func (f *fetcher) refreshForUnknownKid(ctx context.Context, bg context.Context) bool {
	fl := f.start(bg, false)
	if fl == nil {
		return false
	}
	t := time.NewTimer(f.cfg.timeout)
	defer t.Stop()
	select {
	case <-fl.done:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func (f *fetcher) fetch(ctx context.Context, fl *flight) {
	f.fetches.Add(1)
	keys, maxAge, err := f.get(ctx)
	now := f.now()
	f.mu.Lock()
	loaded := f.store.current() != nil
	switch {
	case err == nil:
		f.store.replace(keys)
		f.backoff = firstFetchBackoff
		interval := f.cfg.interval
		if maxAge >= 0 {
			interval = min(max(maxAge, f.cfg.minInterval), f.cfg.maxInterval)
		}
		f.due = now.Add(interval)
	case loaded:
		f.due = now.Add(f.cfg.minInterval)
	default:
		f.due = now.Add(f.backoff)
		f.backoff = min(f.backoff*2, maxFirstFetchBackoff)
	}
	f.cur = nil
	f.mu.Unlock()
	close(fl.done)
	select {
	case f.wake <- struct{}{}:
	default:
	}
	if err != nil && ctx.Err() == nil && f.log != nil {
		// err is one of our own messages, never library text or key material.
		f.log.LogAttrs(ctx, slog.LevelWarn, "sessionguard: JWKS fetch failed",
			slog.String("url", redactURL(f.url)), slog.String("error", err.Error()),
			slog.Bool("keeping_previous_keys", loaded))
	}
}

func (f *fetcher) get(ctx context.Context) ([]*jose.Key, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
	if err != nil {
		return nil, 0, errors.New("cannot build request")
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, errors.New("timed out")
		}
		return nil, 0, errors.New("request failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(f.cfg.maxBody)+1))
	if err != nil {
		return nil, 0, errors.New("reading the body failed")
	}
	if len(body) > f.cfg.maxBody {
		return nil, 0, errors.New("body exceeds the size cap")
	}
	keys, _, err := jose.ParseSet(body, f.cfg.maxKeys)
	if err != nil {
		return nil, 0, errors.New("body is not a JWK Set")
	}
	if len(keys) == 0 {
		return nil, 0, errors.New("JWK Set has no usable signature key")
	}
	return keys, maxAge(resp.Header.Values("Cache-Control")), nil
}

// maxAge returns Cache-Control's max-age, 0 for no-store/no-cache, or -1.
func maxAge(values []string) time.Duration {
	age := time.Duration(-1)
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			d = strings.TrimSpace(d)
			name, val, _ := strings.Cut(d, "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err != nil || n < 0 {
					continue
				}
				if n > int64(DefaultMaxRefreshInterval/time.Second)*365 {
					n = int64(DefaultMaxRefreshInterval/time.Second) * 365
				}
				age = time.Duration(n) * time.Second
			}
		}
	}
	return age
}

// redactURL drops user info and query from a URL before it is logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
