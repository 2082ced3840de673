package sessionguard

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// jwksLoader fetches a JWK Set over HTTP: one request, capped body, capped
// key count, the https rule on the URL and on every redirect. When to fetch
// is the refresher's business; the fetch timeout arrives in ctx.
type jwksLoader struct {
	url              string
	client           *http.Client
	maxBody, maxKeys int
}

// Redirect refusals, told apart when a failure is classified.
var (
	errTooManyRedirects  = errors.New("too many redirects")
	errRedirectDowngrade = errors.New("redirect from https to http")
	errRedirectInsecure  = errors.New("redirect to a URL the https rule refuses")
)

func newJWKSLoader(rawURL string, cfg remoteConfig) *jwksLoader {
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
			return errTooManyRedirects
		}
		// Once any hop was https, every later hop must be: a key set that
		// was asked for over TLS is never accepted from plain http, not
		// even from a loopback host (WithInsecureHTTP does not change this).
		if req.URL.Scheme != "https" {
			for _, p := range via {
				if p.URL.Scheme == "https" {
					return errRedirectDowngrade
				}
			}
		}
		if allowedURL(req.URL, insecure) != nil {
			return errRedirectInsecure
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	return &jwksLoader{url: rawURL, client: &c, maxBody: cfg.maxBody, maxKeys: cfg.maxKeys}
}

func (l *jwksLoader) describe() string { return redactURL(l.url) }

func fetchFailure(class string) *loadError { return &loadError{source: "JWKS fetch", class: class} }

func (l *jwksLoader) load(ctx context.Context) ([]*jose.Key, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url, nil)
	if err != nil {
		return nil, 0, fetchFailure("cannot build the request")
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, 0, fetchFailure(classifyRequestError(ctx, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fetchFailure("HTTP status " + strconv.Itoa(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(l.maxBody)+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fetchFailure("timed out reading the body")
		}
		return nil, 0, fetchFailure("reading the body failed")
	}
	if len(body) > l.maxBody {
		return nil, 0, fetchFailure(fmt.Sprintf("body too large (over %d bytes)", l.maxBody))
	}
	keys, _, err := jose.ParseSet(body, l.maxKeys)
	if err != nil {
		return nil, 0, fetchFailure("parse error: body is not a JWK Set")
	}
	if len(keys) == 0 {
		return nil, 0, fetchFailure("no usable key in the JWK Set")
	}
	return keys, maxAge(resp.Header.Values("Cache-Control")), nil
}

// classifyRequestError names why a request failed, in words of our own:
// the error's text is the library's and may quote the server.
func classifyRequestError(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, errRedirectDowngrade):
		return "redirect from https to http refused"
	case errors.Is(err, errRedirectInsecure):
		return "redirect to a plain-http URL refused"
	case errors.Is(err, errTooManyRedirects):
		return "too many redirects"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && !dnsErr.IsTimeout {
		return "DNS lookup failed"
	}
	var netErr net.Error
	if ctx.Err() != nil || (errors.As(err, &netErr) && netErr.Timeout()) {
		return "timed out"
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return "connection refused"
	}
	var (
		certErr   *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	if errors.As(err, &certErr) || errors.As(err, &recordErr) || errors.As(err, &alertErr) ||
		errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid) {
		return "TLS handshake failed"
	}
	if errors.Is(err, syscall.ECONNRESET) {
		return "connection reset"
	}
	return "request failed"
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
