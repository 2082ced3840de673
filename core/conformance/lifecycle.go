package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// The lifecycle part of the suite: every rule of docs/lifecycle.md §6, black
// box over HTTP against a conformance server with the issuing side
// (conformance-server.md, last section). It speaks only the server's routes,
// verifies the issued tokens with the core (the JWKS read over HTTP), and
// records a normalised transcript of every exchange, so a caller can compare
// frameworks byte for byte (status, header fields modulo order and Date,
// body; tokens, handles and times replaced by placeholders).

// StartFunc starts a conformance server of the adapter under test with the
// given extra flags (the suite passes "-store memory" and the lifetimes it
// needs) and returns its base URL ("http://127.0.0.1:port"). It must stop
// the server in t.Cleanup.
type StartFunc func(t testing.TB, flags ...string) (baseURL string)

// Lifetimes the suite configures, so that it can check Max-Age and
// Cache-Control values and sleep past the grace window.
const (
	lcAccessTTL  = 10 * time.Minute
	lcSessionTTL = 2 * time.Hour
	lcGrace      = 1 * time.Second
	lcJWKSMaxAge = 5 * time.Minute
	lcUserAgent  = "conformance-suite/1"
)

// Transcript is the normalised record of a lifecycle run: one entry per
// exchange, in order.
type Transcript []string

// Diff returns a description of the first difference between two
// transcripts, or "".
func (a Transcript) Diff(b Transcript) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("exchange %d differs:\n%s\n---- versus ----\n%s", i, a[i], b[i])
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("%d exchanges versus %d", len(a), len(b))
	}
	return ""
}

// lc is one lifecycle run against one server.
type lc struct {
	t     *testing.T
	base  string
	v     *sessionguard.Verifier // verifies issued tokens, JWKS over HTTP
	trans *Transcript
}

// exchange is a response as the suite sees it.
type exchange struct {
	status int
	header http.Header
	body   []byte
}

// req is one request of the suite.
type req struct {
	method, path string
	header       []Header
	body         string
}

// do sends r over a fresh connection, writing the request by hand so that
// duplicate fields reach the server exactly as written, and records the
// normalised exchange under name.
func (l *lc) do(name string, r req) exchange {
	l.t.Helper()
	u, err := url.Parse(l.base)
	if err != nil {
		l.t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		l.t.Fatalf("%s: %v", name, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", r.method, r.path, u.Host, lcUserAgent)
	for _, h := range r.header {
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	if r.body != "" || r.method == http.MethodPost || r.method == http.MethodPut {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(r.body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(r.body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		l.t.Fatalf("%s: %v", name, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: r.method})
	if err != nil {
		l.t.Fatalf("%s: %v", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		l.t.Fatalf("%s: %v", name, err)
	}
	x := exchange{status: resp.StatusCode, header: resp.Header, body: body}
	*l.trans = append(*l.trans, normalise(name, x))
	return x
}

// Placeholders of the transcript.
var (
	reJWS     = regexp.MustCompile(`[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}`)
	reRefresh = regexp.MustCompile(`[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{40,}`)
	reSID     = regexp.MustCompile(`"sid":"[A-Za-z0-9_-]+"`)
	reTime    = regexp.MustCompile(`"(access_expires_at|created_at|refreshed_at|expires_at)":[0-9]+`)
	reKeys    = regexp.MustCompile(`"keys":\[.*\]`)
	rePort    = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
)

func normaliseText(s string) string {
	s = reJWS.ReplaceAllString(s, "<jws>")
	s = reRefresh.ReplaceAllString(s, "<refresh>")
	s = reSID.ReplaceAllString(s, `"sid":"<sid>"`)
	s = reTime.ReplaceAllString(s, `"$1":<t>`)
	s = reKeys.ReplaceAllString(s, `"keys":[<keys>]`)
	return rePort.ReplaceAllString(s, "127.0.0.1:<port>")
}

// normalise renders an exchange for the transcript: status, header fields
// sorted by name (values of one name in order; Date dropped, Content-Length
// dropped only when the body holds a token-sized placeholder), body.
func normalise(name string, x exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "== %s\n%d\n", name, x.status)
	names := make([]string, 0, len(x.header))
	for k := range x.header {
		if k != "Date" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range x.header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, normaliseText(v))
		}
	}
	b.WriteString("\n" + normaliseText(string(x.body)))
	return b.String()
}

// Assertions on an exchange.

func (l *lc) status(name string, x exchange, want int) {
	l.t.Helper()
	if x.status != want {
		l.t.Errorf("%s: status %d, want %d (body %s)", name, x.status, want, x.body)
	}
}

// errorBody checks a JSON error response: status, code, Content-Type and the
// WWW-Authenticate field (want "" means absent).
func (l *lc) errorBody(name string, x exchange, status int, code, wwwAuth string) {
	l.t.Helper()
	l.status(name, x, status)
	var e struct{ Error, Message string }
	if err := json.Unmarshal(x.body, &e); err != nil || e.Error != code || e.Message == "" {
		l.t.Errorf("%s: body %s, want error %s", name, x.body, code)
	}
	if ct := x.header.Get("Content-Type"); ct != sessionguard.ContentTypeJSON {
		l.t.Errorf("%s: Content-Type %q", name, ct)
	}
	if got := strings.Join(x.header.Values("Www-Authenticate"), "|"); got != wwwAuth {
		l.t.Errorf("%s: WWW-Authenticate %q, want %q", name, got, wwwAuth)
	}
}

const (
	wwwBare    = `Bearer realm="api"`
	wwwInvalid = `Bearer realm="api", error="invalid_token"`
	wwwRequest = `Bearer realm="api", error="invalid_request"`
)

// noTokens checks that a response neither sets nor clears anything.
func (l *lc) noTokens(name string, x exchange) {
	l.t.Helper()
	if sc := x.header.Values("Set-Cookie"); len(sc) > 0 {
		l.t.Errorf("%s: Set-Cookie %q, want none", name, sc)
	}
	for _, h := range []string{"Access-Token", "Refresh-Token"} {
		if _, ok := x.header[h]; ok {
			l.t.Errorf("%s: %s present, want absent", name, h)
		}
	}
}

// issued is a session as a client holds it.
type issued struct {
	access, refresh, sid, sub string
}

// cookies of a response by name (the raw Set-Cookie lines).
func setCookies(x exchange) map[string]string {
	m := map[string]string{}
	for _, line := range x.header.Values("Set-Cookie") {
		name, _, _ := strings.Cut(line, "=")
		m[name] = line
	}
	return m
}

func cookieValue(line string) string {
	_, v, _ := strings.Cut(line, "=")
	v, _, _ = strings.Cut(v, ";")
	return v
}

// sessionOf reads the tokens of a 200 create/refresh answer from the judged
// method and checks the body against the access token.
func (l *lc) sessionOf(name string, x exchange, cookieMode bool) issued {
	l.t.Helper()
	var s issued
	if cookieMode {
		ck := setCookies(x)
		s.access, s.refresh = cookieValue(ck[CookieName]), cookieValue(ck["refresh_token"])
	} else {
		s.access, s.refresh = x.header.Get("Access-Token"), x.header.Get("Refresh-Token")
	}
	var body struct {
		Session struct {
			Sub string `json:"sub"`
			SID string `json:"sid"`
			Exp int64  `json:"access_expires_at"`
		} `json:"session"`
	}
	if err := json.Unmarshal(x.body, &body); err != nil {
		l.t.Fatalf("%s: body %s: %v", name, x.body, err)
	}
	if s.access == "" || strings.Contains(string(x.body), s.access) || (s.refresh != "" && strings.Contains(string(x.body), s.refresh)) {
		l.t.Errorf("%s: no access token, or a token in the body", name)
	}
	sess, err := l.verify(s.access)
	if err != nil {
		l.t.Fatalf("%s: issued access token does not verify: %v", name, err)
	}
	if sess.SessionID() != body.Session.SID || sess.Subject() != body.Session.Sub || sess.Expiry().Unix() != body.Session.Exp {
		l.t.Errorf("%s: body %s does not match the token (sid %s, sub %s, exp %d)", name, x.body, sess.SessionID(), sess.Subject(), sess.Expiry().Unix())
	}
	s.sid, s.sub = body.Session.SID, body.Session.Sub
	return s
}

// verify checks an issued access token with the core, keys from the
// server's JWKS.
func (l *lc) verify(tok string) (*sessionguard.Session, error) {
	g, err := l.v.Required(sessionguard.WithTransfer(sessionguard.TransferHeader))
	if err != nil {
		return nil, err
	}
	return g.Check(context.Background(), sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok}}})
}

// login starts a session of sub through path; header picks header mode with
// Session-Transfer on the any mount.
func (l *lc) login(name, path, sub string, headerMode bool, extra ...Header) issued {
	l.t.Helper()
	h := extra
	if headerMode && path == "/login" {
		h = append(h, Header{"Session-Transfer", "header"})
	}
	x := l.do(name, req{method: "POST", path: path, header: h, body: fmt.Sprintf(`{"sub":%q}`, sub)})
	if x.status != http.StatusOK {
		l.t.Fatalf("%s: login answered %d %s", name, x.status, x.body)
	}
	return l.sessionOf(name, x, !headerMode)
}

func cookies(pairs ...string) Header { return cookie(pairs...) }

// RunLifecycle runs the lifecycle suite against servers started by start and
// returns the transcript of the run.
func RunLifecycle(t *testing.T, start StartFunc) Transcript {
	base := start(t, "-store", "memory", "-access-ttl", lcAccessTTL.String(), "-session-ttl", lcSessionTTL.String(),
		"-refresh-grace", lcGrace.String(), "-jwks-max-age", lcJWKSMaxAge.String(),
		"-refresh-marker", MarkerName)
	v, err := sessionguard.New(sessionguard.WithIssuer(base, sessionguard.RemoteJWKS(base+"/.well-known/jwks.json")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("the server's JWKS did not load: %v", err)
	}
	var trans Transcript
	for _, c := range lifecycleCases {
		t.Run(c.name, func(t *testing.T) {
			c.run(&lc{t: t, base: base, v: v, trans: &trans})
		})
	}
	return trans
}

// lifecycleCases run in order over one server (theft and outage cases
// change only their own sessions and restore the store).
var lifecycleCases = []struct {
	name string
	run  func(l *lc)
}{
	{"create", (*lc).testCreate},
	{"refresh-table", (*lc).testRefreshTable},
	{"refresh-wire", (*lc).testRefreshWire},
	{"rotation-grace-theft", (*lc).testRotation},
	{"logout", (*lc).testLogout},
	{"own-sessions", (*lc).testOwnSessions},
	{"payload", (*lc).testPayload},
	{"jwks", (*lc).testJWKS},
	{"verified-routes", (*lc).testVerifiedRoutes},
	{"revocation", (*lc).testRevocation},
	{"store-outage", (*lc).testStoreOutage},
}
