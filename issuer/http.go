package sessionissuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// The HTTP surface of docs/lifecycle.md §6 (documented in docs/http.md):
// a [Mount] per base path and transfer method serves create, refresh,
// logout, own sessions and payload write-back as [sessionguard.Endpoint]s
// and [sessionguard.Response]s, so every adapter (sessionhttp, sessiongin,
// sessionecho, sessionfiber) serves the same bytes. Every header and cookie
// is read through the core ([sessionguard.CookieValues],
// [sessionguard.BearerToken], [sessionguard.Verifier.CrossOriginAllowed]),
// the same reading the verifier does.

// Codes of the issuing side's error responses (docs/lifecycle.md §6), besides
// the core's UNAUTHORISED, CROSS_ORIGIN_REQUEST and INVALID_REQUEST.
const (
	CodeTokenTheftDetected sessionguard.Code = "TOKEN_THEFT_DETECTED"
	CodeNotFound           sessionguard.Code = "NOT_FOUND"
	CodeMethodNotAllowed   sessionguard.Code = "METHOD_NOT_ALLOWED"
	CodeStoreUnavailable   sessionguard.Code = "STORE_UNAVAILABLE"
)

// Response header names of header mode (docs/lifecycle.md §6).
const (
	HeaderAccessToken     = "Access-Token"
	HeaderRefreshToken    = "Refresh-Token"
	HeaderSessionTransfer = "Session-Transfer"
)

// DefaultBasePath is the base path of the session endpoints and the Path of
// the refresh cookie.
const DefaultBasePath = "/auth"

// MaxRequestBody is the largest request body the endpoints read (the
// own-sessions revoke body; a login or payload body read by the caller
// should use the same cap).
const MaxRequestBody = 8 << 10

// MaxUserAgent is how much of the User-Agent a session keeps, in bytes.
const MaxUserAgent = 256

// CookiePrefix is a cookie name prefix of RFC 6265bis §4.1.3.
type CookiePrefix uint8

// Cookie prefixes ([WithCookiePrefix]).
const (
	// PrefixNone: names as configured (default).
	PrefixNone CookiePrefix = iota
	// PrefixSecure: "__Secure-" on all three cookies.
	PrefixSecure
	// PrefixHost: "__Host-" on the access cookie and the marker (Path=/,
	// no Domain); the refresh cookie, whose Path is the base path, gets
	// "__Secure-" (a "__Host-" cookie must have Path=/).
	PrefixHost
)

// HTTPOption configures [Issuer.Mount].
type HTTPOption func(*httpConfig) error

type httpConfig struct {
	base     string
	transfer sessionguard.Transfer
	domain   string
	sameSite http.SameSite
	httpOnly bool
	prefix   CookiePrefix
	insecure bool
}

// WithBasePath sets the mount's base path: refresh is POST <base>/refresh,
// logout <base>/logout, own sessions <base>/sessions, and the refresh
// cookie's Path is base. Default [DefaultBasePath] ("/auth"). It must start
// with "/", not end with one, and hold only URL path characters allowed in
// a cookie attribute.
func WithBasePath(base string) HTTPOption {
	return func(c *httpConfig) error {
		if len(base) < 2 || base[0] != '/' || base[len(base)-1] == '/' || strings.ContainsAny(base, "; ,\"\\?#") {
			return fmt.Errorf("sessionissuer: WithBasePath: invalid base path %q", base)
		}
		for i := 0; i < len(base); i++ {
			if base[i] <= ' ' || base[i] >= 0x7f {
				return fmt.Errorf("sessionissuer: WithBasePath: invalid base path %q", base)
			}
		}
		c.base = base
		return nil
	}
}

// WithHTTPTransfer sets the mount's transfer method: [sessionguard.TransferAny]
// (default: the request header Session-Transfer picks on create, cookies
// without it), TransferHeader or TransferCookie.
func WithHTTPTransfer(t sessionguard.Transfer) HTTPOption {
	return func(c *httpConfig) error {
		switch t {
		case sessionguard.TransferAny, sessionguard.TransferHeader, sessionguard.TransferCookie:
			c.transfer = t
			return nil
		}
		return errors.New("sessionissuer: WithHTTPTransfer: unknown transfer method")
	}
}

// WithCookieDomain sets the Domain attribute of the three cookies. Default
// none (host-only cookies, the safer choice). Refused with [PrefixHost].
func WithCookieDomain(domain string) HTTPOption {
	return func(c *httpConfig) error {
		if domain == "" || strings.ContainsAny(domain, "; ,\"\\/") || strings.ContainsFunc(domain, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return fmt.Errorf("sessionissuer: WithCookieDomain: invalid domain %q", domain)
		}
		c.domain = domain
		return nil
	}
}

// WithSameSite sets the SameSite attribute of the three cookies. Default
// http.SameSiteLaxMode. SameSiteNoneMode requires Secure (refused with
// [WithInsecureCookies]); http.SameSiteDefaultMode leaves it off.
func WithSameSite(s http.SameSite) HTTPOption {
	return func(c *httpConfig) error {
		switch s {
		case http.SameSiteDefaultMode, http.SameSiteLaxMode, http.SameSiteStrictMode, http.SameSiteNoneMode:
			c.sameSite = s
			return nil
		}
		return errors.New("sessionissuer: WithSameSite: unknown mode")
	}
}

// WithAccessCookieScriptable leaves HttpOnly off the access cookie, for a
// front end that reads the access token itself. Default: HttpOnly on. The
// refresh cookie is always HttpOnly; the marker never is.
func WithAccessCookieScriptable() HTTPOption {
	return func(c *httpConfig) error { c.httpOnly = false; return nil }
}

// WithCookiePrefix prefixes the cookie names (see [CookiePrefix]). Default
// [PrefixNone]. The verifier given to [Issuer.Mount] must read the prefixed
// names ([Mount.CookieNames]); Mount checks it.
func WithCookiePrefix(p CookiePrefix) HTTPOption {
	return func(c *httpConfig) error {
		if p > PrefixHost {
			return errors.New("sessionissuer: WithCookiePrefix: unknown prefix")
		}
		c.prefix = p
		return nil
	}
}

// WithInsecureCookies leaves Secure off the cookies, for plain-http
// development and browser tests only. Default: Secure on. Refused with a
// cookie prefix or SameSite=None.
func WithInsecureCookies() HTTPOption {
	return func(c *httpConfig) error { c.insecure = true; return nil }
}

// Mount is the issuing side over HTTP for one base path and transfer method
// (docs/lifecycle.md §6). Build it with [Issuer.Mount]; it is safe for
// concurrent use. Its endpoints answer 405 with Allow to every other method,
// so mount them for every method.
type Mount struct {
	i        *Issuer
	v        *sessionguard.Verifier
	cfg      httpConfig
	required *sessionguard.Guard // own sessions
	optional *sessionguard.Guard // logout

	access, refresh, marker cookie
	accessAge, sessionAge   string
}

// Mount returns the HTTP surface of i for one base path and transfer method.
// v is the verifier the mount must agree with: build it with
// [Issuer.VerifierOptions] (plus the cookie names of [Mount.CookieNames]
// when a prefix is configured). Its cross-origin check guards every
// cookie-carried refresh and logout, its realm is in every WWW-Authenticate,
// and logout and own sessions verify access tokens with it. Mount fails when
// v does not read the mount's access cookie or marker.
func (i *Issuer) Mount(v *sessionguard.Verifier, opts ...HTTPOption) (*Mount, error) {
	if i == nil || v == nil {
		return nil, errors.New("sessionissuer: Mount needs an issuer and a verifier")
	}
	c := httpConfig{base: DefaultBasePath, sameSite: http.SameSiteLaxMode, httpOnly: true}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("sessionissuer: nil HTTPOption") // as the core treats nil options
		}
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	switch {
	case c.insecure && c.prefix != PrefixNone:
		return nil, errors.New("sessionissuer: cookie prefixes require Secure cookies")
	case c.insecure && c.sameSite == http.SameSiteNoneMode:
		return nil, errors.New("sessionissuer: SameSite=None requires Secure cookies")
	case c.prefix == PrefixHost && c.domain != "":
		return nil, errors.New("sessionissuer: __Host- cookies cannot have a Domain")
	}
	m := &Mount{i: i, v: v, cfg: c}
	a, r, mk := i.CookieNames()
	host, sec := "", ""
	switch c.prefix {
	case PrefixSecure:
		host, sec = "__Secure-", "__Secure-"
	case PrefixHost:
		host, sec = "__Host-", "__Secure-"
	}
	m.access = m.newCookie(host+a, "/", c.httpOnly)
	m.refresh = m.newCookie(sec+r, c.base, true)
	m.marker = m.newCookie(host+mk, "/", false)
	names, marker := v.CookieNames()
	if !contains(names, m.access.name) || marker != m.marker.name {
		return nil, fmt.Errorf("sessionissuer: the verifier must read the access cookie %q and the marker %q", m.access.name, m.marker.name)
	}
	m.accessAge = strconv.FormatInt(int64(i.AccessTTL()/time.Second), 10)
	m.sessionAge = strconv.FormatInt(int64(i.SessionTTL()/time.Second), 10)
	var err error
	if m.required, err = v.Required(sessionguard.WithTransfer(c.transfer)); err != nil {
		return nil, err
	}
	if m.optional, err = v.Optional(sessionguard.WithTransfer(c.transfer)); err != nil {
		return nil, err
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// BasePath is the mount's base path.
func (m *Mount) BasePath() string { return m.cfg.base }

// CookieNames are the names the mount's cookies carry (with the prefix).
func (m *Mount) CookieNames() (access, refresh, marker string) {
	return m.access.name, m.refresh.name, m.marker.name
}

// cookie is one of the three cookies, its attributes rendered once.
type cookie struct {
	name  string
	attrs string // "; Path=…; Domain=…" then "; Max-Age=" is appended per use
	flags string // "; HttpOnly; Secure; SameSite=Lax"
}

func (m *Mount) newCookie(name, path string, httpOnly bool) cookie {
	ck := cookie{name: name, attrs: "; Path=" + path}
	if m.cfg.domain != "" {
		ck.attrs += "; Domain=" + m.cfg.domain
	}
	if httpOnly {
		ck.flags += "; HttpOnly"
	}
	if !m.cfg.insecure {
		ck.flags += "; Secure"
	}
	switch m.cfg.sameSite {
	case http.SameSiteLaxMode:
		ck.flags += "; SameSite=Lax"
	case http.SameSiteStrictMode:
		ck.flags += "; SameSite=Strict"
	case http.SameSiteNoneMode:
		ck.flags += "; SameSite=None"
	}
	return ck
}

// set renders the Set-Cookie value for value with Max-Age age ("0" clears).
func (c cookie) set(value, age string) string {
	return c.name + "=" + value + c.attrs + "; Max-Age=" + age + c.flags
}

// markerValue is the refresh marker's content: no secret, only a sign that
// a long-term session probably exists.
const markerValue = "1"

// exposeList is Access-Control-Expose-Headers of header mode.
const exposeList = HeaderAccessToken + ", " + HeaderRefreshToken

// tokenHeaders collects the header fields of a response that sets or clears
// tokens: Cache-Control: no-store, and the expose list in header mode.
type tokenHeaders struct {
	h      http.Header
	header bool // header mode touched: add the expose list
}

func newTokenHeaders() tokenHeaders {
	h := make(http.Header, 8)
	h["Cache-Control"] = []string{"no-store"}
	return tokenHeaders{h: h}
}

func (t *tokenHeaders) setCookies(m *Mount, tok *Tokens) {
	t.h["Set-Cookie"] = append(t.h["Set-Cookie"],
		m.access.set(tok.AccessToken, m.accessAge),
		m.refresh.set(tok.RefreshToken, m.sessionAge),
		m.marker.set(markerValue, m.sessionAge))
}

func (t *tokenHeaders) clearCookies(m *Mount) {
	t.h["Set-Cookie"] = append(t.h["Set-Cookie"],
		m.access.set("", "0"), m.refresh.set("", "0"), m.marker.set("", "0"))
}

func (t *tokenHeaders) setHeaders(tok *Tokens) {
	t.h[HeaderAccessToken] = []string{tok.AccessToken}
	t.h[HeaderRefreshToken] = []string{tok.RefreshToken}
	t.header = true
}

func (t *tokenHeaders) clearHeaders() {
	t.h[HeaderAccessToken] = []string{""}
	t.h[HeaderRefreshToken] = []string{""}
	t.header = true
}

func (t *tokenHeaders) finish() http.Header {
	if t.header {
		t.h["Access-Control-Expose-Headers"] = []string{exposeList}
	}
	return t.h
}

// sessionBody is the 200 body of create, refresh and payload update: the
// session's subject, handle and access expiry, never a token. Written by
// hand (it is on every refresh); the subject is escaped as encoding/json
// escapes it.
func sessionBody(tok *Tokens) []byte {
	b := make([]byte, 0, 64+len(tok.Subject)+len(tok.Handle))
	b = append(b, `{"session":{"sub":`...)
	b = appendJSONString(b, tok.Subject)
	b = append(b, `,"sid":`...)
	b = appendJSONString(b, tok.Handle)
	b = append(b, `,"access_expires_at":`...)
	b = strconv.AppendInt(b, tok.AccessExpiresAt.Unix(), 10)
	return append(b, "}}"...)
}

// appendJSONString appends s as a JSON string: plain printable ASCII is
// copied, anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// ok is a 200 session answer with the token fields of t.
func ok(t tokenHeaders, tok *Tokens) sessionguard.Response {
	h := t.finish()
	h["Content-Type"] = []string{sessionguard.ContentTypeJSON}
	return sessionguard.Response{Status: http.StatusOK, Header: h, Body: sessionBody(tok)}
}

// Fixed messages of the issuing side's error bodies.
const (
	msgNoRefresh        = "A valid refresh token is required."
	msgTheft            = "The refresh token was reused; the session has been ended."
	msgNotFound         = "No such session."
	msgMethodNotAllowed = "Method not allowed."
	msgStoreUnavailable = "Sessions are temporarily unavailable."
	msgBadBody          = "The request body is not valid."
	msgDuplicateAuthz   = "The request is ambiguous: send exactly one Authorization header."
)

func (m *Mount) methodNotAllowed(allow string) sessionguard.Response {
	return m.v.ErrorResponse(http.StatusMethodNotAllowed, CodeMethodNotAllowed, msgMethodNotAllowed,
		sessionguard.ChallengeNone, sessionguard.HeaderField{Name: "Allow", Value: allow})
}

// storeUnavailable is the 503 of a store outage: Retry-After, nothing
// cleared (an outage is never a logout).
func (m *Mount) storeUnavailable() sessionguard.Response {
	return m.v.ErrorResponse(http.StatusServiceUnavailable, CodeStoreUnavailable, msgStoreUnavailable,
		sessionguard.ChallengeNone, sessionguard.HeaderField{Name: "Retry-After", Value: m.v.RetryAfter()})
}

func (m *Mount) badRequest(msg string) sessionguard.Response {
	return m.v.ErrorResponse(http.StatusBadRequest, sessionguard.CodeInvalidRequest, msg, sessionguard.ChallengeInvalidRequest)
}

// refused is a 401 (or theft) answer that clears tokens as t says.
func (m *Mount) refused(code sessionguard.Code, msg string, ch sessionguard.Challenge, t tokenHeaders) sessionguard.Response {
	r := m.v.ErrorResponse(http.StatusUnauthorized, code, msg, ch)
	for k, vs := range t.finish() {
		r.Header[k] = vs
	}
	return r
}

// transferOf is the transfer method a create answers with: the mount's, or
// with "any" the request's Session-Transfer header (header or cookie; any
// other value counts as absent), cookies without it.
func (m *Mount) transferOf(r sessionguard.Request) sessionguard.Transfer {
	if m.cfg.transfer != sessionguard.TransferAny {
		return m.cfg.transfer
	}
	if v := r.Values(HeaderSessionTransfer); len(v) == 1 {
		switch v[0] {
		case "header":
			return sessionguard.TransferHeader
		case "cookie":
			return sessionguard.TransferCookie
		}
	}
	return sessionguard.TransferCookie
}

// DeviceOf is the device a request comes from: its User-Agent cut to
// [MaxUserAgent] bytes and the peer address of [sessionguard.ClientAddr]
// (never a proxy header).
func DeviceOf(r sessionguard.Request, label string) Device {
	ua := ""
	if v := r.Values("User-Agent"); len(v) > 0 {
		ua = cut(v[0], MaxUserAgent)
	}
	return Device{UserAgent: ua, IP: sessionguard.ClientAddr(r), Label: label}
}

// Create starts a session for subject (already authenticated by the
// application) and answers the create response of docs/lifecycle.md §6:
// 200 with `{"session":{"sub","sid","access_expires_at"}}`, the tokens in
// three cookies or in the Access-Token and Refresh-Token headers (the
// mount's transfer method; with "any" the request's Session-Transfer
// header, cookies without it), Cache-Control: no-store. The device is read
// from r ([DeviceOf]). A refused subject or payload is 400 INVALID_REQUEST;
// a store outage is 503 STORE_UNAVAILABLE with Retry-After. An application
// that writes its own body attaches the answer's header fields with the
// adapter's Attach when Status is 200.
func (m *Mount) Create(ctx context.Context, r sessionguard.Request, subject string, payload map[string]any, label string) sessionguard.Response {
	tok, err := m.i.Create(ctx, subject, payload, DeviceOf(r, label))
	if err != nil {
		return m.failure(err)
	}
	t := newTokenHeaders()
	if m.transferOf(r) == sessionguard.TransferHeader {
		t.setHeaders(tok)
	} else {
		t.setCookies(m, tok)
	}
	return ok(t, tok)
}

// failure answers an error of Create or UpdatePayload.
func (m *Mount) failure(err error) sessionguard.Response {
	switch {
	case errors.Is(err, ErrInvalidSubject), errors.Is(err, ErrReservedClaim),
		errors.Is(err, ErrPayloadTooLarge), errors.Is(err, ErrInvalidPayload):
		return m.badRequest(msgBadBody)
	case errors.Is(err, ErrNotFound):
		return m.v.ErrorResponse(http.StatusNotFound, CodeNotFound, msgNotFound, sessionguard.ChallengeNone)
	}
	m.logFailure(err)
	return m.storeUnavailable()
}

// logFailure logs an unexpected failure by its kind only (the store's text
// may hold query details; no token is ever in it).
func (m *Mount) logFailure(err error) {
	if !errors.Is(err, ErrStoreUnavailable) {
		m.i.log.Error("sessionissuer: http: operation failed")
		return
	}
	m.i.log.Warn("sessionissuer: http: store unavailable")
}

// UpdatePayload replaces the payload of the session s (verified by a guard
// in front) and answers with its new access token written back the way s's
// token came (docs/lifecycle.md §4, seed 004): a cookie-carried token gets
// a new access cookie, a header-carried one the Access-Token header (with
// the expose list). 200 with the session body; a refused payload 400; a
// session that ended meanwhile 404 NOT_FOUND; a store outage 503. A nil s
// is 401 UNAUTHORISED.
func (m *Mount) UpdatePayload(ctx context.Context, s *sessionguard.Session, payload map[string]any) sessionguard.Response {
	if s == nil || s.SessionID() == "" {
		return m.v.ErrorResponse(http.StatusUnauthorized, sessionguard.CodeUnauthorised, "A valid session is required.", sessionguard.ChallengeBearer)
	}
	tok, err := m.i.UpdatePayload(ctx, s.SessionID(), payload)
	if err != nil {
		return m.failure(err)
	}
	t := newTokenHeaders()
	if s.Source() == sessionguard.SourceHeader {
		t.h[HeaderAccessToken] = []string{tok.AccessToken}
		t.header = true
	} else {
		t.h["Set-Cookie"] = []string{m.access.set(tok.AccessToken, m.accessAge)}
	}
	return ok(t, tok)
}

// JWKSEndpoint serves the issuer's published public keys (docs/lifecycle.md
// §5): GET and HEAD, Content-Type application/jwk-set+json and
// Cache-Control: max-age=<[WithJWKSMaxAge]> (default 10 min); every other
// method is 405 with Allow: GET, HEAD.
func (i *Issuer) JWKSEndpoint(v *sessionguard.Verifier) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(_ context.Context, r sessionguard.Request) sessionguard.Response {
		if r.Method() != http.MethodGet && r.Method() != http.MethodHead {
			return v.ErrorResponse(http.StatusMethodNotAllowed, CodeMethodNotAllowed, msgMethodNotAllowed,
				sessionguard.ChallengeNone, sessionguard.HeaderField{Name: "Allow", Value: "GET, HEAD"})
		}
		doc, maxAge := i.JWKS()
		h := http.Header{
			"Content-Type":  {"application/jwk-set+json"},
			"Cache-Control": {"max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)},
		}
		return sessionguard.Response{Status: http.StatusOK, Header: h, Body: doc}
	})
}
