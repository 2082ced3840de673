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
