package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// Factory starts a server for the adapter under test: it mounts [Routes]
// (every route for GET, POST and OPTIONS) with guards built from v, serves
// successes with [SuccessBody] (or [HealthBody] for /healthz), renders
// failures with the adapter's default, and returns the base URL
// ("http://127.0.0.1:port"). It must stop the server in t.Cleanup and accept
// request headers up to 64 KiB.
type Factory func(t testing.TB, v *sessionguard.Verifier) (baseURL string)

// Fixture names used by the suite.
const (
	Issuer        = "https://issuer.conformance.test"
	OtherIssuer   = "https://other.conformance.test"
	Audience      = "conformance-api"
	CookieName    = "access_token"
	MarkerName    = "refresh_marker"
	TrustedOrigin = "https://trusted.conformance.test"
)

// Header is one request header field; a slice of them keeps order and
// duplicates.
type Header struct{ Name, Value string }

// Want is the expected response.
type Want struct {
	Status int
	// Body is compared byte for byte.
	Body []byte
	// Header values compared exactly; "" means the header must be absent.
	Header map[string]string
}

// Case is one request of the suite.
type Case struct {
	Name   string
	Method string
	Path   string
	Header []Header
	// Raw, when set, is sent verbatim as the header block (after the request
	// line and Host), for wire-level cases.
	Raw  string
	Want Want
}

// tokens minted once per run.
type tokens struct {
	alice, bob, expired, expiredBob, badSig, unknownKid, notYet, noSub,
	foreignIss, hs256, admin, user, rsa, big string
}

// fixture is the key material and verifiers of one run.
type fixture struct {
	es, rs, other *sgtest.Key
	tok           tokens
	v             *sessionguard.Verifier // the main verifier
	down          *sessionguard.Verifier // a verifier whose JWKS never loads
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{
		es:    sgtest.NewKey("ES256", "conf-es"),
		rs:    sgtest.NewKey("RS256", "conf-rs"),
		other: sgtest.NewKey("ES256", "conf-other"),
	}
	mint := func(k *sgtest.Key, sub string, ttl time.Duration, extra map[string]any) string {
		c := sgtest.Claims(Issuer, sub, ttl)
		c["aud"] = Audience
		for n, v := range extra {
			c[n] = v
		}
		return k.Mint(c)
	}
	now := time.Now()
	f.tok = tokens{
		alice:      mint(f.es, "alice", time.Hour, nil),
		bob:        mint(f.es, "bob", time.Hour, nil),
		expired:    mint(f.es, "alice", -time.Hour, nil),
		expiredBob: mint(f.es, "bob", -time.Hour, nil),
		notYet:     mint(f.es, "alice", time.Hour, map[string]any{"nbf": now.Add(10 * time.Minute).Unix()}),
		noSub:      mint(f.es, "", time.Hour, map[string]any{"sub": nil}),
		admin:      mint(f.es, "root", time.Hour, map[string]any{"roles": []string{"user", AdminRole}}),
		user:       mint(f.es, "carol", time.Hour, map[string]any{"roles": []string{"user"}}),
		rsa:        mint(f.rs, "dave", time.Hour, nil),
		unknownKid: mint(sgtest.NewKey("ES256", "conf-unknown"), "alice", time.Hour, nil),
		big:        mint(f.es, "alice", time.Hour, map[string]any{"pad": strings.Repeat("x", 9<<10)}),
	}
	// A valid-looking token whose signature is another key's under our kid.
	forged := &sgtest.Key{ID: f.es.ID, Alg: "ES256", Signer: f.other.Signer}
	f.tok.badSig = mint(forged, "alice", time.Hour, nil)
	c := sgtest.Claims(OtherIssuer, "mallory", time.Hour)
	f.tok.foreignIss = f.other.Mint(c)
	f.tok.hs256 = sgtest.NewKey("HS256", "conf-hs").Mint(sgtest.Claims(Issuer, "eve", time.Hour))

	var err error
	f.v, err = sessionguard.New(
		sessionguard.WithIssuer(Issuer, sessionguard.StaticJWKS(sgtest.JWKS(f.es, f.rs))),
		sessionguard.WithAudience(Audience),
		sessionguard.WithCookie(CookieName),
		sessionguard.WithRefreshMarker(MarkerName),
		sessionguard.WithTrustedOrigins(TrustedOrigin),
	)
	if err != nil {
		t.Fatalf("conformance: main verifier: %v", err)
	}
	t.Cleanup(func() { _ = f.v.Close() })

	// A JWKS URL on a port nothing listens on: the set never loads.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String() + "/jwks.json"
	_ = ln.Close()
	f.down, err = sessionguard.New(
		sessionguard.WithIssuer(Issuer, sessionguard.RemoteJWKS(deadURL, sessionguard.WithFetchTimeout(200*time.Millisecond))),
		sessionguard.WithCookie(CookieName),
		sessionguard.WithRefreshMarker(MarkerName),
	)
	if err != nil {
		t.Fatalf("conformance: down verifier: %v", err)
	}
	t.Cleanup(func() { _ = f.down.Close() })
	return f
}

// Run runs the whole suite against the adapter behind factory.
func Run(t *testing.T, factory Factory) {
	f := newFixture(t)
	base := factory(t, f.v)
	for _, tc := range f.cases() {
		t.Run(tc.Name, func(t *testing.T) { check(t, base, tc) })
	}
	downBase := factory(t, f.down)
	for _, tc := range f.downCases() {
		t.Run("keys-down/"+tc.Name, func(t *testing.T) { check(t, downBase, tc) })
	}
}

// Cases returns a verifier configured like the suite's main one and the
// suite's cases for it.
func Cases(t testing.TB) (*sessionguard.Verifier, []Case) {
	f := newFixture(t)
	return f.v, f.cases()
}

// Fixture gives black-box tests (such as the conformance server's) the
// suite's key material and cases, to run them against a server configured
// from the outside: issuer [Issuer], audience [Audience], cookie
// [CookieName], refresh marker [MarkerName], trusted origin [TrustedOrigin]
// and the key set [Fixture.JWKS].
type Fixture struct{ f *fixture }

// NewFixture mints the suite's keys and tokens.
func NewFixture(t testing.TB) *Fixture { return &Fixture{newFixture(t)} }

// JWKS is the public key set that verifies the fixture's tokens.
func (x *Fixture) JWKS() []byte { return sgtest.JWKS(x.f.es, x.f.rs) }

// Verifier is the fixture's main verifier.
func (x *Fixture) Verifier() *sessionguard.Verifier { return x.f.v }

// Cases are the suite's cases for a server configured like the main verifier.
func (x *Fixture) Cases() []Case { return x.f.cases() }

// Check sends one case to the server at base and reports differences on t.
func Check(t *testing.T, base string, tc Case) { check(t, base, tc) }

// Send sends one case to the server at base over a fresh connection and
// returns the response and its body.
func Send(base string, tc Case) (*http.Response, []byte, error) { return send(base, tc) }

// expected responses.
func (f *fixture) ok(s string, src string) Want {
	var body []byte
	if s == "" {
		body = []byte(`{"session":null}`)
	} else {
		body = []byte(fmt.Sprintf(`{"session":{"sub":%q,"source":%q}}`, s, src))
	}
	return Want{Status: 200, Body: body, Header: map[string]string{"Www-Authenticate": ""}}
}

func fail(v *sessionguard.Verifier, e *sessionguard.Error) Want {
	r := v.DefaultResponse(e)
	w := Want{Status: r.Status, Body: r.Body, Header: map[string]string{
		"Content-Type":     r.Header.Get("Content-Type"),
		"Www-Authenticate": r.Header.Get("Www-Authenticate"),
		"Retry-After":      r.Header.Get("Retry-After"),
	}}
	return w
}

var (
	eNoToken  = &sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrNoToken}
	eRejected = &sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrMissingSubject, TokenRejected: true}
	eExpired  = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrTokenExpired, TokenRejected: true}
	eNotYet   = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrTokenNotYetValid, TokenRejected: true}
	eInvalid  = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrSignatureInvalid, TokenRejected: true}
	eMarker   = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrRefreshMarker}
	eCross    = &sessionguard.Error{Code: sessionguard.CodeCrossOriginRequest, Reason: sessionguard.ErrCrossOrigin}
	eDup      = &sessionguard.Error{Code: sessionguard.CodeInvalidRequest, Reason: sessionguard.ErrDuplicateAuthorization}
	eKeys     = &sessionguard.Error{Code: sessionguard.CodeKeysUnavailable, Reason: sessionguard.ErrKeySetNotLoaded, TokenRejected: true}
	eClaims   = &sessionguard.Error{Code: sessionguard.CodeInvalidClaims, Reason: sessionguard.ErrClaimValidation, TokenRejected: true,
		Claims: []sessionguard.ClaimFailure{{ID: "roles", Reason: "required value is missing"}}}
)

func bearer(tok string) Header      { return Header{"Authorization", "Bearer " + tok} }
func cookie(pairs ...string) Header { return Header{"Cookie", strings.Join(pairs, "; ")} }
func ck(tok string) string          { return CookieName + "=" + tok }
func hdrs(h ...Header) []Header     { return h }
func get(name, path string, h ...Header) Case {
	return Case{Name: name, Method: "GET", Path: path, Header: h}
}

func (f *fixture) cases() []Case {
	t := f.tok
	v := f.v
	var cs []Case
	add := func(c Case, w Want) {
		c.Want = w
		cs = append(cs, c)
	}

	// Seed 004's table, each row with a valid and an expired token, on every
	// transfer method it names (* = all three), required and optional.
	type variant struct {
		name          string
		hdr, cookieTk string // tokens for the header and the cookie
		want          func(src string) Want
	}
	for _, tm := range []string{"any", "header", "cookie"} {
		for _, req := range []string{"required", "optional"} {
			path := "/" + tm + "/" + req
			none := f.ok("", "")
			if req == "required" {
				none = fail(v, eNoToken)
			}
			// Neither header nor cookie.
			add(get("seed004/"+tm+"/"+req+"/none-none", path), none)
			for _, tok := range []struct{ name, a, b string }{{"valid", t.alice, t.bob}, {"expired", t.expired, t.expiredBob}} {
				res := func(sub, src string) Want {
					if tok.name == "expired" {
						return fail(v, eExpired)
					}
					return f.ok(sub, src)
				}
				pre := "seed004/" + tm + "/" + req + "/" + tok.name
				// Header only.
				if tm == "cookie" {
					add(get(pre+"/header-only", path, bearer(tok.a)), none)
				} else {
					add(get(pre+"/header-only", path, bearer(tok.a)), res("alice", "header"))
				}
				// Cookie only.
				if tm == "header" {
					add(get(pre+"/cookie-only", path, cookie(ck(tok.b))), none)
				} else {
					add(get(pre+"/cookie-only", path, cookie(ck(tok.b))), res("bob", "cookie"))
				}
				// Both: the header decides for any/header, the cookie for cookie.
				if tm == "cookie" {
					add(get(pre+"/both", path, bearer(tok.a), cookie(ck(tok.b))), res("bob", "cookie"))
				} else {
					add(get(pre+"/both", path, bearer(tok.a), cookie(ck(tok.b))), res("alice", "header"))
				}
			}
			// No fallback after selection: an expired header with a valid cookie.
			if tm != "cookie" {
				add(get("selection/"+tm+"/"+req+"/expired-header-valid-cookie", path, bearer(t.expired), cookie(ck(t.bob))), fail(v, eExpired))
				add(get("selection/"+tm+"/"+req+"/bad-signature-header-valid-cookie", path, bearer(t.badSig), cookie(ck(t.bob))), fail(v, eInvalid))
			}
		}
	}

	// Foreign Authorization headers count as not sent.
	for _, fh := range []struct{ name, value string }{
		{"basic", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
		{"token-scheme", "Token " + t.alice},
		{"dpop", "DPoP " + t.alice},
		{"opaque-bearer", "Bearer 2YotnFZFEjr1zCsicMWpAA"},
		{"other-issuer", "Bearer " + t.foreignIss},
		{"hs256-without-secret", "Bearer " + t.hs256},
		{"bearer-no-space", "Bearer" + t.alice},
		{"bearer-tab", "Bearer\t" + t.alice},
		{"bearer-empty", "Bearer "},
		{"oversize", "Bearer " + t.big},
		{"four-dots", "Bearer " + t.alice + ".x.y"},
	} {
		add(get("foreign/"+fh.name+"/cookie-used", "/any/required", Header{"Authorization", fh.value}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(get("foreign/"+fh.name+"/required", "/any/required", Header{"Authorization", fh.value}), fail(v, eNoToken))
		add(get("foreign/"+fh.name+"/optional", "/any/optional", Header{"Authorization", fh.value}), f.ok("", ""))
	}
	add(get("foreign/cookie-other-issuer/optional", "/any/optional", cookie(ck(t.foreignIss))), f.ok("", ""))
	add(get("foreign/cookie-garbage/required", "/cookie/required", cookie(ck("not-a-jwt"))), fail(v, eNoToken))

	// Bearer scheme spelling.
	add(get("bearer/lowercase", "/any/required", Header{"Authorization", "bearer " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/uppercase", "/any/required", Header{"Authorization", "BEARER " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/many-spaces", "/any/required", Header{"Authorization", "Bearer    " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/rsa-key", "/any/required", bearer(t.rsa)), f.ok("dave", "header"))

	// Refresh marker (rows 6 and 7).
	mk := cookie(MarkerName + "=1")
	add(get("marker/any/optional", "/any/optional", mk), fail(v, eMarker))
	add(get("marker/any/required", "/any/required", mk), fail(v, eMarker))
	add(get("marker/cookie/optional", "/cookie/optional", mk), fail(v, eMarker))
	add(get("marker/cookie/required", "/cookie/required", mk), fail(v, eMarker))
	add(get("marker/header/optional", "/header/optional", mk), f.ok("", ""))
	add(get("marker/header/required", "/header/required", mk), fail(v, eNoToken))
	add(get("marker/with-valid-cookie", "/any/optional", cookie(MarkerName+"=1", ck(t.bob))), f.ok("bob", "cookie"))
	add(get("marker/with-foreign-header", "/any/optional", Header{"Authorization", "Basic eDp5"}, mk), fail(v, eMarker))

	// Rows 2, 3, 4.
	for _, req := range []string{"required", "optional"} {
		p := "/any/" + req
		add(get("row2/not-yet-valid/"+req, p, bearer(t.notYet)), fail(v, eNotYet))
		add(get("row3/bad-signature/"+req, p, bearer(t.badSig)), fail(v, eInvalid))
		add(get("row3/unknown-kid/"+req, p, bearer(t.unknownKid)), fail(v, eInvalid))
		add(get("row3/bad-signature-cookie/"+req, p, cookie(ck(t.badSig))), fail(v, eInvalid))
		add(get("row4/no-subject/"+req, p, bearer(t.noSub)), fail(v, eRejected))
		add(get("row4/no-subject-cookie/"+req, p, cookie(ck(t.noSub))), fail(v, eRejected))
	}

	// Row 5: claims.
	add(get("row5/admin-ok", "/admin", bearer(t.admin)), f.ok("root", "header"))
	add(get("row5/not-admin", "/admin", bearer(t.user)), fail(v, eClaims))
	add(get("row5/no-roles", "/admin", bearer(t.alice)), fail(v, &sessionguard.Error{Code: sessionguard.CodeInvalidClaims,
		Reason: sessionguard.ErrClaimValidation, TokenRejected: true, Claims: []sessionguard.ClaimFailure{{ID: "roles", Reason: "claim is missing"}}}))
	add(get("row5/admin-expired-is-refresh", "/admin", bearer(t.expired)), fail(v, eExpired))
	add(get("row5/admin-none", "/admin"), fail(v, eNoToken))

	// Row 8: cross-origin protection for cookie tokens (§6).
	post := func(name, path string, h ...Header) Case {
		return Case{Name: name, Method: "POST", Path: path, Header: h}
	}
	cross := Header{"Sec-Fetch-Site", "cross-site"}
	sameSite := Header{"Sec-Fetch-Site", "same-site"}
	evil := Header{"Origin", "https://evil.conformance.test"}
	for _, req := range []string{"required", "optional"} {
		p := "/any/" + req
		add(post("row8/"+req+"/cross-site-cookie", p, cross, cookie(ck(t.bob))), fail(v, eCross))
		add(post("row8/"+req+"/same-site-cookie", p, sameSite, cookie(ck(t.bob))), fail(v, eCross))
		add(post("row8/"+req+"/cross-site-expired-cookie", p, cross, cookie(ck(t.expiredBob))), fail(v, eCross))
		add(post("row8/"+req+"/origin-mismatch-cookie", p, evil, cookie(ck(t.bob))), fail(v, eCross))
		add(post("row8/"+req+"/cross-site-bearer", p, cross, evil, bearer(t.alice)), f.ok("alice", "header"))
		add(post("row8/"+req+"/same-origin-cookie", p, Header{"Sec-Fetch-Site", "same-origin"}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(post("row8/"+req+"/fetch-site-none-cookie", p, Header{"Sec-Fetch-Site", "none"}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(post("row8/"+req+"/no-browser-headers-cookie", p, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(post("row8/"+req+"/trusted-origin-cookie", p, cross, Header{"Origin", TrustedOrigin}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(Case{Name: "row8/" + req + "/cross-site-get-cookie", Method: "GET", Path: p, Header: hdrs(cross, cookie(ck(t.bob)))}, f.ok("bob", "cookie"))
		add(Case{Name: "row8/" + req + "/cross-site-foreign-cookie", Method: "POST", Path: p, Header: hdrs(cross, cookie(ck(t.foreignIss)))},
			map[bool]Want{true: fail(v, eNoToken), false: f.ok("", "")}[req == "required"])
	}
	add(post("row8/cookie-route-cross-site", "/cookie/required", cross, cookie(ck(t.bob))), fail(v, eCross))

	// Row 10: duplicate Authorization fields, whatever the transfer method.
	for _, p := range []string{"/any/optional", "/any/required", "/header/optional", "/cookie/optional", "/cookie/required"} {
		add(get("row10"+p+"/two-valid", p, bearer(t.alice), bearer(t.bob)), fail(v, eDup))
		add(get("row10"+p+"/valid-and-basic", p, bearer(t.alice), Header{"Authorization", "Basic eDp5"}, cookie(ck(t.bob))), fail(v, eDup))
		add(get("row10"+p+"/two-empty", p, Header{"Authorization", "x"}, Header{"Authorization", "y"}), fail(v, eDup))
	}

	// Duplicate cookies (§2).
	add(get("cookies/garbage-then-valid", "/any/required", cookie(ck("garbage"), ck(t.bob))), f.ok("bob", "cookie"))
	add(get("cookies/expired-then-valid", "/any/required", cookie(ck(t.expired), ck(t.bob))), f.ok("bob", "cookie"))
	add(get("cookies/valid-then-expired", "/any/required", cookie(ck(t.alice), ck(t.expiredBob))), f.ok("alice", "cookie"))
	add(get("cookies/expired-then-bad-signature", "/any/required", cookie(ck(t.expired), ck(t.badSig))), fail(v, eExpired))
	add(get("cookies/bad-signature-then-expired", "/any/required", cookie(ck(t.badSig), ck(t.expired))), fail(v, eInvalid))
	add(get("cookies/foreign-then-expired", "/any/optional", cookie(ck(t.foreignIss), ck(t.expired))), fail(v, eExpired))
	add(get("cookies/valid-fifth-not-considered", "/any/required",
		cookie(ck(t.expired), ck("a"), ck("b"), ck("c"), ck(t.bob))), fail(v, eExpired))
	add(get("cookies/two-cookie-fields", "/any/required", cookie(ck(t.expired)), cookie(ck(t.bob))), f.ok("bob", "cookie"))
	add(get("cookies/quoted", "/any/required", cookie(CookieName+`="`+t.bob+`"`)), f.ok("bob", "cookie"))
	add(get("cookies/url-escaped-not-unescaped", "/any/optional", cookie(ck(strings.ReplaceAll(t.bob, ".", "%2E")))), f.ok("", ""))
	add(get("cookies/other-name-ignored", "/any/optional", cookie("session="+t.bob)), f.ok("", ""))

	// OPTIONS passes through with no session.
	for _, p := range []string{"/any/required", "/cookie/required", "/header/required", "/admin"} {
		add(Case{Name: "options" + p + "/expired", Method: "OPTIONS", Path: p, Header: hdrs(bearer(t.expired))}, f.ok("", ""))
		add(Case{Name: "options" + p + "/duplicate-authorization", Method: "OPTIONS", Path: p, Header: hdrs(bearer(t.alice), bearer(t.bob))}, f.ok("", ""))
	}

	// Health check: no verification.
	add(get("healthz/with-expired", "/healthz", bearer(t.expired)), Want{Status: 200, Body: []byte(HealthBody)})

	// Every route accepts POST with a header token.
	add(Case{Name: "methods/post-header", Method: "POST", Path: "/header/required", Header: hdrs(bearer(t.alice))}, f.ok("alice", "header"))

	// Wire-level: a large but legitimate header block, odd bytes.
	add(Case{Name: "wire/large-header-block", Method: "GET", Path: "/any/optional",
		Raw: "X-Padding: " + strings.Repeat("p", 40<<10) + "\r\nAuthorization: Bearer " + t.alice + "\r\n"}, f.ok("alice", "header"))
	add(Case{Name: "wire/oversize-token-is-not-ours", Method: "GET", Path: "/any/optional",
		Raw: "Authorization: Bearer " + t.big + "\r\n"}, f.ok("", ""))
	add(Case{Name: "wire/non-ascii-credentials", Method: "GET", Path: "/any/required",
		Raw: "Authorization: Bearer \xc3\xa9" + t.alice + "\r\n"}, fail(v, eNoToken))
	add(Case{Name: "wire/duplicate-authorization-raw", Method: "GET", Path: "/any/optional",
		Raw: "Authorization: Bearer " + t.alice + "\r\nAuthorization: Bearer " + t.alice + "\r\n"}, fail(v, eDup))
	add(Case{Name: "wire/lowercase-field-name", Method: "GET", Path: "/any/required",
		Raw: "authorization: Bearer " + t.alice + "\r\n"}, f.ok("alice", "header"))
	add(Case{Name: "wire/cookie-no-space", Method: "GET", Path: "/any/required",
		Raw: "Cookie: a=1;" + ck(t.bob) + "\r\n"}, f.ok("bob", "cookie"))
	return cs
}

func (f *fixture) downCases() []Case {
	v := f.down
	t := f.tok
	return []Case{
		{Name: "row9/header", Method: "GET", Path: "/any/required", Header: hdrs(bearer(t.alice)), Want: fail(v, eKeys)},
		{Name: "row9/optional-expired", Method: "GET", Path: "/any/optional", Header: hdrs(bearer(t.expired)), Want: fail(v, eKeys)},
		{Name: "row9/cookie", Method: "GET", Path: "/cookie/optional", Header: hdrs(cookie(ck(t.bob))), Want: fail(v, eKeys)},
		{Name: "row7/required-needs-no-keys", Method: "GET", Path: "/any/required", Want: fail(v, eNoToken)},
		{Name: "row7/optional-needs-no-keys", Method: "GET", Path: "/any/optional", Want: f.ok("", "")},
		{Name: "row6/marker-needs-no-keys", Method: "GET", Path: "/any/optional", Header: hdrs(cookie(MarkerName + "=1")), Want: fail(v, eMarker)},
		{Name: "row8/before-keys", Method: "POST", Path: "/any/required", Header: hdrs(Header{"Sec-Fetch-Site", "cross-site"}, cookie(ck(t.bob))), Want: fail(v, eCross)},
	}
}

// check sends tc over a fresh TCP connection and compares the response.
func check(t *testing.T, base string, tc Case) {
	t.Helper()
	resp, body, err := send(base, tc)
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	if resp.StatusCode != tc.Want.Status {
		t.Errorf("status = %d, want %d (body %q)", resp.StatusCode, tc.Want.Status, body)
	}
	if !bytes.Equal(body, tc.Want.Body) {
		t.Errorf("body = %q\nwant   %q", body, tc.Want.Body)
	}
	for name, want := range tc.Want.Header {
		vals := resp.Header.Values(name)
		switch {
		case want == "" && len(vals) > 0:
			t.Errorf("header %s = %q, want absent", name, vals)
		case want != "" && (len(vals) != 1 || vals[0] != want):
			t.Errorf("header %s = %q, want %q", name, vals, want)
		}
	}
}

// send writes the request by hand so that duplicate fields, field order and
// odd bytes reach the server exactly as written.
func send(base string, tc Case) (*http.Response, []byte, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, nil, err
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", tc.Method, tc.Path, u.Host)
	for _, h := range tc.Header {
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	b.WriteString(tc.Raw)
	if tc.Method == "POST" {
		b.WriteString("Content-Length: 0\r\n")
	}
	b.WriteString("Connection: close\r\n\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, nil, err
	}
	req := &http.Request{Method: tc.Method}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, nil, err
	}
	return resp, body, nil
}
