package sessionfiber_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/conformance"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
)

// testConfig accepts the suite's 40 KiB header block (Fiber's default
// ReadBufferSize of 4096 answers 431 to it).
var testConfig = fiber.Config{ReadBufferSize: 64 << 10, DisableStartupMessage: true}

// serve starts app on a real listener and returns its base URL.
func serve(t testing.TB, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// success is the handler behind every verified conformance route.
func success(c *fiber.Ctx) error {
	fromLocals, _ := sessionfiber.FromContext(c)
	fromCtx, _ := sessionguard.FromContext(c.UserContext())
	if !conformance.Same(fromLocals, fromCtx) {
		return c.Status(http.StatusInternalServerError).SendString(conformance.MismatchBody)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(conformance.SuccessBody(fromCtx))
}

// mountOn adds the conformance routes to app, for GET, POST and OPTIONS.
func mountOn(t testing.TB, app *fiber.App, v *sessionguard.Verifier) {
	t.Helper()
	for _, rt := range conformance.Routes() {
		handlers := []fiber.Handler{func(c *fiber.Ctx) error { return c.SendString(conformance.HealthBody) }}
		if rt.Verify {
			mw, err := sessionfiber.Optional(v, rt.Options...)
			if rt.Required {
				mw, err = sessionfiber.Required(v, rt.Options...)
			}
			if err != nil {
				t.Fatal(err)
			}
			handlers = []fiber.Handler{mw, success}
		}
		for _, m := range conformance.Methods {
			app.Add(m, rt.Path, handlers...)
		}
	}
}

// mount serves the conformance routes through this adapter.
func mount(t testing.TB, v *sessionguard.Verifier) string {
	app := fiber.New(testConfig)
	mountOn(t, app, v)
	return serve(t, app)
}

func TestConformance(t *testing.T) { conformance.Run(t, mount) }

// TestConformanceAfterCookieParsing runs the suite again with a middleware
// in front that makes fasthttp parse the request cookies, which replaces
// the raw Cookie fields by one re-serialised field: well-formed cookies
// (duplicates, quoting, two fields, %2E, no space after ';') must give the
// same outcomes.
func TestConformanceAfterCookieParsing(t *testing.T) {
	conformance.Run(t, func(t testing.TB, v *sessionguard.Verifier) string {
		app := fiber.New(testConfig)
		app.Use(func(c *fiber.Ctx) error {
			_ = c.Cookies("unrelated")
			return c.Next()
		})
		mountOn(t, app, v)
		return serve(t, app)
	})
}

// TestConformanceWithoutHeaderNormalizing runs the suite with
// DisableHeaderNormalizing, under which fasthttp keeps field names as sent
// and looks them up case-sensitively: the adapter must still read every
// field whatever its case (a lower-case sec-fetch-site must still guard the
// cookie, two authorization fields must still be refused).
func TestConformanceWithoutHeaderNormalizing(t *testing.T) {
	conformance.Run(t, func(t testing.TB, v *sessionguard.Verifier) string {
		cfg := testConfig
		cfg.DisableHeaderNormalizing = true
		app := fiber.New(cfg)
		mountOn(t, app, v)
		return serve(t, app)
	})
}

func TestWithNext(t *testing.T) {
	v, _ := conformance.Cases(t)
	mw, err := sessionfiber.Required(v, sessionfiber.WithNext(func(c *fiber.Ctx) bool { return c.Path() == "/public" }))
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(testConfig)
	app.Use(mw)
	app.Get("/*", func(c *fiber.Ctx) error {
		if _, ok := sessionfiber.FromContext(c); ok {
			return c.SendStatus(http.StatusConflict)
		}
		return c.SendStatus(http.StatusNoContent)
	})
	for path, want := range map[string]int{"/public": 204, "/private": 401} {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != want {
			t.Errorf("%s: status %d, want %d", path, resp.StatusCode, want)
		}
	}
	if _, err := sessionfiber.Required(v, sessionfiber.WithNext(nil)); err == nil {
		t.Error("nil Next accepted by Required")
	}
	if _, err := sessionfiber.Optional(v, sessionfiber.WithNext(nil)); err == nil {
		t.Error("nil Next accepted by Optional")
	}
}

// TestNilArguments: misuse is an error, never a panic, and a nil guard
// fails closed.
func TestNilArguments(t *testing.T) {
	if _, err := sessionfiber.Required(nil); err == nil {
		t.Error("Required(nil) accepted")
	}
	if _, err := sessionfiber.Optional(nil); err == nil {
		t.Error("Optional(nil) accepted")
	}
	if s, ok := sessionfiber.FromContext(nil); s != nil || ok {
		t.Error("FromContext(nil) returned a session")
	}
	reached := false
	app := fiber.New(testConfig)
	app.Get("/", sessionfiber.Middleware(nil), func(c *fiber.Ctx) error { reached = true; return nil })
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	// The core fails closed with 401, as in every adapter.
	if resp.StatusCode != http.StatusUnauthorized || reached {
		t.Errorf("nil guard: status %d, handler reached %v; want 401, false", resp.StatusCode, reached)
	}
}

// fixture is a verifier and a token minter for the adapter-specific tests.
func fixture(t testing.TB) (*sessionguard.Verifier, func(sub string, ttl time.Duration) string) {
	t.Helper()
	key := sgtest.NewKey("ES256", "fiber-test")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://issuer.fiber.test",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v, func(sub string, ttl time.Duration) string {
		return key.Mint(sgtest.Claims("https://issuer.fiber.test", sub, ttl))
	}
}

// TestSessionOutlivesRequest keeps sessions beyond their handlers while the
// server serves other requests on the same connection (so fasthttp reuses
// the same request buffers): the raw token and claims must not change.
func TestSessionOutlivesRequest(t *testing.T) {
	v, mint := fixture(t)
	mw, err := sessionfiber.Required(v)
	if err != nil {
		t.Fatal(err)
	}
	kept := make(chan *sessionguard.Session, 64)
	app := fiber.New(testConfig)
	app.Get("/keep", mw, func(c *fiber.Ctx) error {
		s, _ := sessionfiber.FromContext(c)
		kept <- s
		return c.SendStatus(http.StatusNoContent)
	})
	base := serve(t, app)
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	t.Cleanup(client.CloseIdleConnections)

	type sent struct{ sub, token string }
	var want []sent
	for i := range 20 {
		sub := fmt.Sprintf("user-%02d", i)
		tok := mint(sub, time.Hour)
		req, _ := http.NewRequest("GET", base+"/keep", nil)
		if i%2 == 0 {
			req.Header.Set("Authorization", "Bearer "+tok)
		} else {
			req.Header.Set("Cookie", "access_token="+tok)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
		want = append(want, sent{sub, tok})
	}
	close(kept)
	i := 0
	for s := range kept {
		if s.Token() != want[i].token || s.Subject() != want[i].sub {
			t.Errorf("session %d changed after its request: sub %q token %.20q…, want %q %.20q…",
				i, s.Subject(), s.Token(), want[i].sub, want[i].token)
		}
		i++
	}
	if i != len(want) {
		t.Fatalf("kept %d sessions, want %d", i, len(want))
	}
}

// TestFailureBypassesErrorHandler: a refusal is written by the middleware
// (the ErrorHandler would rewrite it), while an error from a later handler
// reaches the ErrorHandler unchanged.
func TestFailureBypassesErrorHandler(t *testing.T) {
	v, mint := fixture(t)
	mw, err := sessionfiber.Required(v)
	if err != nil {
		t.Fatal(err)
	}
	errDownstream := errors.New("downstream failure")
	var handled []error
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: func(c *fiber.Ctx, err error) error {
		handled = append(handled, err)
		return c.Status(http.StatusTeapot).SendString("from error handler")
	}})
	app.Get("/", func(c *fiber.Ctx) error {
		// Headers set earlier are replaced by the core's, as in net/http.
		c.Set(fiber.HeaderContentType, "text/html")
		c.Set(fiber.HeaderWWWAuthenticate, "Basic")
		c.Set("X-Earlier", "kept")
		return c.Next()
	}, mw, func(c *fiber.Ctx) error { return errDownstream })

	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	want := v.DefaultResponse(&sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrNoToken})
	if resp.StatusCode != want.Status || string(body) != string(want.Body) {
		t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, want.Status, want.Body)
	}
	for _, name := range []string{"Content-Type", "Www-Authenticate"} {
		if got := resp.Header.Values(name); len(got) != 1 || got[0] != want.Header.Get(name) {
			t.Errorf("%s = %q, want %q", name, got, want.Header.Get(name))
		}
	}
	if got := resp.Header.Get("X-Earlier"); got != "kept" {
		t.Errorf("X-Earlier = %q, want kept", got)
	}
	if len(handled) != 0 {
		t.Errorf("ErrorHandler called for a refusal: %v", handled)
	}

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+mint("alice", time.Hour))
	resp, err = app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot || len(handled) != 1 || handled[0] != errDownstream {
		t.Errorf("downstream error: status %d, ErrorHandler got %v; want 418 and exactly %v", resp.StatusCode, handled, errDownstream)
	}
}

// TestRendererHeaders: every header value of a custom Response is written,
// in order, and the body byte for byte.
func TestRendererHeaders(t *testing.T) {
	v, _ := fixture(t)
	custom := sessionguard.Response{
		Status: http.StatusUnauthorized,
		Header: http.Header{
			"Content-Type":     {"application/problem+json"},
			"Www-Authenticate": {`Bearer realm="a"`, `DPoP realm="a"`},
			"Cache-Control":    {"no-store"},
		},
		Body: []byte(`{"type":"about:blank"}`),
	}
	mw, err := sessionfiber.Required(v, sessionguard.WithRenderer(func(*sessionguard.Error) sessionguard.Response { return custom }))
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(testConfig)
	app.Get("/", mw, func(c *fiber.Ctx) error { return nil })
	resp, err := app.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != custom.Status || string(body) != string(custom.Body) {
		t.Errorf("got %d %q", resp.StatusCode, body)
	}
	for name, want := range custom.Header {
		if got := resp.Header.Values(name); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestReadBufferSize documents why the README asks for a larger
// ReadBufferSize: with Fiber's default, a request carrying an 8 KiB token
// (the core's default cap) never reaches the middleware.
func TestReadBufferSize(t *testing.T) {
	v, _ := fixture(t)
	mw, err := sessionfiber.Optional(v)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		size int
		want int
	}{
		{"fiber-default", 0, http.StatusRequestHeaderFieldsTooLarge},
		{"16KiB", 16 << 10, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New(fiber.Config{ReadBufferSize: tc.size, DisableStartupMessage: true})
			app.Get("/", mw, func(c *fiber.Ctx) error { return c.SendStatus(http.StatusOK) })
			raw := "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + strings.Repeat("a", 8<<10-16) + "\r\nConnection: close\r\n\r\n"
			if _, status := rawRoundTrip(t, serve(t, app), raw); status != tc.want {
				t.Errorf("status %d, want %d", status, tc.want)
			}
		})
	}
}

// TestHostMatchesNetHTTP sends the same raw requests to a Fiber app and a
// net/http server. fasthttp's Header.Host() (what the adapter hands the
// core) must equal net/http's Request.Host, and the cross-origin decision
// for a cookie token (Origin compared with Host) must be the same through
// both adapters.
func TestHostMatchesNetHTTP(t *testing.T) {
	v, mint := fixture(t)
	cookie := "access_token=" + mint("alice", time.Hour)

	fmw, err := sessionfiber.Required(v)
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(testConfig)
	app.Get("/host", func(c *fiber.Ctx) error { return c.Send(c.Request().Header.Host()) })
	app.Post("/check", fmw, func(c *fiber.Ctx) error { return c.SendStatus(http.StatusOK) })
	fiberBase := serve(t, app)

	// The net/http side uses the core's own *http.Request view.
	g, err := v.Required()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /host", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Host) })
	mux.HandleFunc("POST /check", func(w http.ResponseWriter, r *http.Request) {
		if _, err := g.Check(r.Context(), sessionguard.HTTPRequest{R: r}); err != nil {
			g.Render(err).Write(w)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	hosts := []string{
		"api.example.com",
		"API.Example.COM",
		"api.example.com:8443",
		"127.0.0.1:8080",
		"[::1]:8443",
		"xn--bcher-kva.example",
		"  padded.example  ",
	}
	decided := map[int]bool{}
	for _, host := range hosts {
		t.Run(strings.TrimSpace(host), func(t *testing.T) {
			raw := "GET /host HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"
			fb, fs := rawRoundTrip(t, fiberBase, raw)
			hb, hs := rawRoundTrip(t, srv.URL, raw)
			if fs != 200 || hs != 200 || fb != hb {
				t.Errorf("Host: fiber %d %q, net/http %d %q", fs, fb, hs, hb)
			}
			for _, origin := range []string{
				"http://" + strings.TrimSpace(host),
				"https://" + strings.ToLower(strings.TrimSpace(host)),
				"http://other.example",
			} {
				raw := "POST /check HTTP/1.1\r\nHost: " + host + "\r\nOrigin: " + origin +
					"\r\nCookie: " + cookie + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
				_, fs := rawRoundTrip(t, fiberBase, raw)
				_, hs := rawRoundTrip(t, srv.URL, raw)
				if fs != hs {
					t.Errorf("Origin %q: fiber %d, net/http %d", origin, fs, hs)
				}
				decided[hs] = true
			}
		})
	}
	if !decided[http.StatusOK] || !decided[http.StatusForbidden] {
		t.Errorf("the Origin cases did not exercise both outcomes: %v", decided)
	}
}

// TestCookieFieldsReachCoreRaw documents what fasthttp's PeekAll("Cookie"),
// which the adapter hands to the core, returns: while no one has parsed the
// cookies, exactly net/http's Header["Cookie"] (every field, in order,
// quotes, spaces and %-escapes untouched); after fasthttp has parsed them
// (c.Cookies and friends), one re-serialised field.
func TestCookieFieldsReachCoreRaw(t *testing.T) {
	fields := "Cookie: a=1;b=\"q\";access_token=\"x%2Ey\"\r\nCookie:  c = 3 ;; d\r\nCookie: access_token=z\r\n"
	raw := "GET /cookies HTTP/1.1\r\nHost: x\r\n" + fields + "Connection: close\r\n\r\n"
	peekAll := func(c *fiber.Ctx) error {
		var vals []string
		for _, b := range c.Request().Header.PeekAll("Cookie") {
			vals = append(vals, string(b))
		}
		return c.SendString(strings.Join(vals, "|"))
	}
	app := fiber.New(testConfig)
	app.Get("/cookies", peekAll)
	app.Get("/parsed", func(c *fiber.Ctx) error { _ = c.Cookies("a"); return c.Next() }, peekAll)
	base := serve(t, app)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Join(r.Header["Cookie"], "|"))
	}))
	t.Cleanup(srv.Close)

	got, _ := rawRoundTrip(t, base, raw)
	want, _ := rawRoundTrip(t, srv.URL, raw)
	if got != want || want != `a=1;b="q";access_token="x%2Ey"|c = 3 ;; d|access_token=z` {
		t.Errorf("PeekAll(Cookie) = %q, net/http %q", got, want)
	}
	got, _ = rawRoundTrip(t, base, strings.Replace(raw, "/cookies", "/parsed", 1))
	if want := `a=1; b=q; access_token=x%2Ey; c=3; d; access_token=z`; got != want {
		t.Errorf("after c.Cookies: PeekAll(Cookie) = %q, want %q", got, want)
	}
}

// rawRoundTrip writes raw to base's server and returns body and status.
func rawRoundTrip(t testing.TB, base, raw string) (string, int) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// TestOptionOwnership: this adapter's options are its own (see
// conformance.RunOptionOwnership).
func TestOptionOwnership(t *testing.T) {
	conformance.RunOptionOwnership(t, sessionfiber.WithNext(func(*fiber.Ctx) bool { return false }),
		func(v *sessionguard.Verifier, required bool, opts ...sessionguard.RouteOption) error {
			if required {
				_, err := sessionfiber.Required(v, opts...)
				return err
			}
			_, err := sessionfiber.Optional(v, opts...)
			return err
		})
}
