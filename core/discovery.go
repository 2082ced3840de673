package sessionguard

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// discoveryPath is appended to an issuer (without its trailing slash) to
// find its OpenID Provider configuration (OpenID Connect Discovery 1.0 §4).
const discoveryPath = "/.well-known/openid-configuration"

// OIDCDiscovery is the key set of an OpenID Provider found through its
// configuration document at <issuer>/.well-known/openid-configuration
// (OpenID Connect Discovery 1.0 §4; a trailing "/" of the issuer is removed
// before the path is appended). It loads in the background like a
// [RemoteJWKS]: the document first, then the JWK Set at its "jwks_uri", with
// the same timeout (one [WithFetchTimeout] covers both requests), body cap,
// key checks, schedule and retry policy. Until both have loaded, tokens of
// the issuer get [CodeKeysUnavailable], and [Verifier.Ready]'s error says
// which step failed ("OIDC discovery: issuer mismatch", "JWKS fetch: HTTP
// status 503", ...).
//
// Security behaviour: the document's "issuer" must equal issuer exactly
// (Discovery §4.3: no normalisation, a trailing slash matters), otherwise
// the load fails and no key of it is used. "jwks_uri" must be an absolute
// https URL; plain http is accepted only for a loopback host (or with
// [WithInsecureHTTP]) and never when the document itself came over https.
// Redirects obey the rules of [RemoteJWKS]. The document is fetched again
// at every periodic refresh interval ([WithRefreshInterval], default 15
// min) and after any failed JWK Set fetch, so a moved "jwks_uri" is picked
// up; loads in between fetch only the JWK Set.
//
// Bind the source to the same issuer with [WithIssuer] (or use [OIDC]);
// binding it to another issuer, or using it with [WithKeySource], is an
// error from [New].
func OIDCDiscovery(issuer string, opts ...RemoteOption) *KeySource {
	s := &KeySource{kind: sourceDiscovery, url: issuer}
	s.configure(opts)
	return s
}

// OIDC accepts the tokens of an OpenID Connect provider: [WithIssuer] of
// issuer bound to its [OIDCDiscovery] key set. It composes with every other
// option: add [WithAudience] (most providers' access tokens need it),
// [WithCookie], further issuers. opts tune the key set's loading.
func OIDC(issuer string, opts ...RemoteOption) Option {
	return WithIssuer(issuer, OIDCDiscovery(issuer, opts...))
}

// discoveryURL checks an issuer for discovery and returns its document URL.
func discoveryURL(issuer string, insecure bool) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", errors.New("OIDC issuer is not an absolute URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("OIDC issuer must not have a query, fragment or user info")
	}
	if err := allowedURL(u, insecure); err != nil {
		return "", errors.New("OIDC issuer must use https unless the host is loopback (or WithInsecureHTTP is set)")
	}
	return strings.TrimSuffix(issuer, "/") + discoveryPath, nil
}

// discoveryLoader loads an OpenID Provider's keys: the configuration
// document (when due), then the JWK Set it names. The refresher runs one
// load at a time; mu only makes that independent of the refresher.
type discoveryLoader struct {
	issuer     string
	docURL     string
	get        *httpGetter
	cfg        remoteConfig
	rediscover time.Duration

	mu   sync.Mutex
	jwks *jwksLoader // nil until discovered, and after a failed JWK Set fetch
	at   time.Time   // when jwks was discovered
}

func newDiscoveryLoader(issuer, docURL string, cfg remoteConfig) *discoveryLoader {
	return &discoveryLoader{issuer: issuer, docURL: docURL, get: newHTTPGetter(cfg), cfg: cfg, rediscover: cfg.interval}
}

func (d *discoveryLoader) describe() string { return redactURL(d.docURL) }

func discoveryFailure(kind FetchResult, class string) *loadError {
	return &loadError{source: "OIDC discovery", kind: kind, class: class}
}

func (d *discoveryLoader) load(ctx context.Context) ([]*jose.Key, time.Duration, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.jwks == nil || time.Since(d.at) >= d.rediscover {
		l, err := d.discover(ctx)
		if err != nil {
			return nil, 0, err
		}
		d.jwks, d.at = l, time.Now()
	}
	keys, age, err := d.jwks.load(ctx)
	if err != nil {
		d.jwks = nil // the provider may have moved its keys: discover again next time
		return nil, 0, err
	}
	return keys, age, nil
}

// discover fetches the configuration document and returns a loader for the
// JWK Set it names, after the checks of Discovery §4.3 and the https rule.
func (d *discoveryLoader) discover(ctx context.Context) (*jwksLoader, error) {
	body, _, lerr := d.get.fetch(ctx, d.docURL, "application/json")
	if lerr != nil {
		lerr.source = "OIDC discovery"
		return nil, lerr
	}
	jwksURI, lerr := parseDiscovery(body, d.issuer, strings.HasPrefix(d.docURL, "https:"), d.cfg.insecure)
	if lerr != nil {
		return nil, lerr
	}
	return &jwksLoader{url: jwksURI, get: d.get, maxKeys: d.cfg.maxKeys}, nil
}

// parseDiscovery reads an OpenID Provider configuration document and returns
// its "jwks_uri" once "issuer" matched issuer exactly and the URI passed the
// https rule (overHTTPS: the document itself came over https, so plain http
// is refused even for a loopback host).
func parseDiscovery(body []byte, issuer string, overHTTPS, insecure bool) (string, *loadError) {
	// Members are looked up by their exact names: encoding/json's
	// case-insensitive field matching would accept "Issuer".
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return "", discoveryFailure(FetchParseError, "parse error: body is not a JSON object")
	}
	var iss, jwksURI string
	if raw, ok := doc["issuer"]; !ok || json.Unmarshal(raw, &iss) != nil {
		return "", discoveryFailure(FetchParseError, `parse error: no "issuer" string`)
	}
	if iss != issuer {
		// The document's value is not echoed: it is the server's text.
		return "", discoveryFailure(FetchDiscoveryRefused, "issuer mismatch: the document names another issuer than the configured one")
	}
	if raw, ok := doc["jwks_uri"]; !ok || json.Unmarshal(raw, &jwksURI) != nil || jwksURI == "" {
		return "", discoveryFailure(FetchParseError, `parse error: no "jwks_uri" string`)
	}
	u, err := url.Parse(jwksURI)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", discoveryFailure(FetchDiscoveryRefused, "jwks_uri is not an absolute URL")
	}
	if overHTTPS && u.Scheme != "https" {
		return "", discoveryFailure(FetchDiscoveryRefused, "jwks_uri refused: plain http named by a document fetched over https")
	}
	if allowedURL(u, insecure) != nil {
		return "", discoveryFailure(FetchDiscoveryRefused, "jwks_uri refused: it must use https unless the host is loopback")
	}
	return jwksURI, nil
}
