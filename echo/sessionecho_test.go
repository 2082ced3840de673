package sessionecho_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/conformance"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionecho "github.com/sessionguard/sessionguard/echo"
)

func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	return e
}

// ok is the conformance success handler.
func ok(c echo.Context) error {
	fromEcho, _ := sessionecho.FromContext(c)
	fromCtx, _ := sessionguard.FromContext(c.Request().Context())
	if !conformance.Same(fromEcho, fromCtx) {
		return c.String(http.StatusInternalServerError, conformance.MismatchBody)
	}
	return c.JSONBlob(http.StatusOK, conformance.SuccessBody(fromCtx))
}

// mount serves the conformance routes through this adapter on a real
// listener.
func mount(t testing.TB, v *sessionguard.Verifier) string {
	e := newEcho()
	for _, rt := range conformance.Routes() {
		if !rt.Verify {
			e.Match(conformance.Methods, rt.Path, func(c echo.Context) error {
				return c.String(http.StatusOK, conformance.HealthBody)
			})
			continue
		}
		mw, err := sessionecho.Optional(v, rt.Options...)
		if rt.Required {
			mw, err = sessionecho.Required(v, rt.Options...)
		}
		if err != nil {
			t.Fatal(err)
		}
		e.Match(conformance.Methods, rt.Path, ok, mw)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConformance(t *testing.T) { conformance.Run(t, mount) }

func serve(e *echo.Echo, method, path string, h http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for k, vs := range h {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestSkipper(t *testing.T) {
	v, _ := conformance.Cases(t)
	mw, err := sessionecho.Required(v, sessionecho.WithSkipper(func(c echo.Context) bool { return c.Path() == "/public" }))
	if err != nil {
		t.Fatal(err)
	}
	e := newEcho()
	h := func(c echo.Context) error {
		if _, ok := sessionecho.FromContext(c); ok {
			return c.NoContent(http.StatusInternalServerError)
		}
		return c.NoContent(http.StatusNoContent)
	}
	e.GET("/public", h, mw)
	e.GET("/private", h, mw)
	for path, want := range map[string]int{"/public": 204, "/private": 401} {
		if rec := serve(e, "GET", path, nil); rec.Code != want {
			t.Errorf("%s: status %d, want %d", path, rec.Code, want)
		}
	}
	if _, err := sessionecho.Required(v, sessionecho.WithSkipper(nil)); err == nil {
		t.Error("nil skipper accepted by Required")
	}
	if _, err := sessionecho.Optional(v, sessionecho.WithSkipper(nil)); err == nil {
		t.Error("nil skipper accepted by Optional")
	}
}

// TestErrorHandler checks that a failure is written once, byte-identical to
// the core's response, and still reaches a custom HTTPErrorHandler as an
// *echo.HTTPError wrapping the *sessionguard.Error.
func TestErrorHandler(t *testing.T) {
	key := sgtest.NewKey("ES256", "k")
	iss := "https://issuer.test"
	expired := key.Mint(sgtest.Claims(iss, "alice", -time.Hour))
	newV := func(opts ...sessionguard.Option) *sessionguard.Verifier {
		v, err := sessionguard.New(append(opts, sessionguard.WithIssuer(iss, sessionguard.StaticJWKS(sgtest.JWKS(key))))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = v.Close() })
		return v
	}
	teapot := sessionguard.WithRenderer(func(e *sessionguard.Error) sessionguard.Response {
		return sessionguard.Response{Status: http.StatusTeapot, Header: http.Header{"X-Code": {string(e.Code)}}, Body: []byte("tea")}
	})
	tests := []struct {
		name     string
		v        *sessionguard.Verifier
		opts     []sessionguard.RouteOption
		header   http.Header
		wantCode sessionguard.Code
		wantIs   error
		custom   *sessionguard.Response // the expected response, when not the default
	}{
		{name: "no-token", v: newV(), wantCode: sessionguard.CodeUnauthorised, wantIs: sessionguard.ErrNoToken},
		{name: "expired", v: newV(), header: http.Header{"Authorization": {"Bearer " + expired}},
			wantCode: sessionguard.CodeTryRefreshToken, wantIs: sessionguard.ErrTokenExpired},
		{name: "duplicate-authorization", v: newV(), header: http.Header{"Authorization": {"a", "b"}},
			wantCode: sessionguard.CodeInvalidRequest, wantIs: sessionguard.ErrDuplicateAuthorization},
		{name: "invalid-claims", v: newV(), opts: []sessionguard.RouteOption{sessionguard.WithClaims(sessionguard.Includes("roles", "admin"))},
			header: http.Header{"Authorization": {"Bearer " + key.Mint(sgtest.Claims(iss, "alice", time.Hour))}}, wantCode: sessionguard.CodeInvalidClaims, wantIs: sessionguard.ErrClaimValidation},
		{name: "custom-renderer", v: newV(), opts: []sessionguard.RouteOption{teapot}, wantCode: sessionguard.CodeUnauthorised, wantIs: sessionguard.ErrNoToken,
			custom: &sessionguard.Response{Status: http.StatusTeapot, Header: http.Header{"X-Code": {"UNAUTHORISED"}}, Body: []byte("tea")}},
	}
	for _, tc := range tests {
		for _, handler := range []string{"default", "custom"} {
			t.Run(tc.name+"/"+handler, func(t *testing.T) {
				mw, err := sessionecho.Required(tc.v, tc.opts...)
				if err != nil {
					t.Fatal(err)
				}
				e := newEcho()
				var got []error
				if handler == "custom" {
					e.HTTPErrorHandler = func(err error, c echo.Context) {
						got = append(got, err)
						if c.Response().Committed { // as Echo's own handler does
							return
						}
						_ = c.String(http.StatusInternalServerError, "second response")
					}
				}
				e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, mw)
				rec := serve(e, "GET", "/", tc.header)

				// The bytes are the core's, whichever error handler ran.
				want := tc.v.DefaultResponse(&sessionguard.Error{Code: tc.wantCode, Reason: tc.wantIs, TokenRejected: tc.header != nil,
					Claims: []sessionguard.ClaimFailure{{ID: "roles", Reason: "claim is missing"}}})
				if tc.custom != nil {
					want = *tc.custom
				}
				if rec.Code != want.Status {
					t.Errorf("status %d, want %d", rec.Code, want.Status)
				}
				if !bytes.Equal(rec.Body.Bytes(), want.Body) {
					t.Errorf("body %q, want %q", rec.Body.Bytes(), want.Body)
				}
				for name := range want.Header {
					if g, w := rec.Header().Values(name), want.Header.Values(name); len(g) != len(w) || g[0] != w[0] {
						t.Errorf("header %s = %q, want %q", name, g, w)
					}
				}
				if handler == "default" {
					return
				}
				if len(got) != 1 {
					t.Fatalf("error handler called %d times, want 1", len(got))
				}
				var he *echo.HTTPError
				if !errors.As(got[0], &he) {
					t.Fatalf("error %T is not an *echo.HTTPError", got[0])
				}
				if he.Code != want.Status || he.Message != string(tc.wantCode) {
					t.Errorf("HTTPError{Code: %d, Message: %v}, want {%d, %s}", he.Code, he.Message, want.Status, tc.wantCode)
				}
				var se *sessionguard.Error
				if !errors.As(got[0], &se) || se.Code != tc.wantCode {
					t.Errorf("errors.As(*sessionguard.Error) = %v, code %v", se, tc.wantCode)
				}
				if !errors.Is(got[0], tc.wantIs) {
					t.Errorf("errors.Is(err, %v) = false", tc.wantIs)
				}
			})
		}
	}
}

func TestSessionStored(t *testing.T) {
	key := sgtest.NewKey("EdDSA", "k")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://issuer.test", sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	mw, err := sessionecho.Optional(v)
	if err != nil {
		t.Fatal(err)
	}
	e := newEcho()
	e.GET("/", func(c echo.Context) error {
		s, ok := sessionecho.FromContext(c)
		s2, ok2 := sessionguard.FromContext(c.Request().Context())
		if !ok || !ok2 || s != s2 {
			return c.String(http.StatusOK, "none")
		}
		return c.String(http.StatusOK, s.Subject()+" "+s.Source().String())
	}, mw)
	tok := key.Mint(sgtest.Claims("https://issuer.test", "alice", time.Hour))
	for _, tc := range []struct {
		name string
		h    http.Header
		want string
	}{
		{"header", http.Header{"Authorization": {"Bearer " + tok}}, "alice header"},
		{"cookie", http.Header{"Cookie": {"access_token=" + tok}}, "alice cookie"},
		{"none", nil, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rec := serve(e, "GET", "/", tc.h); rec.Code != 200 || rec.Body.String() != tc.want {
				t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

// TestGroupUnknownPath pins the Echo behaviour the README warns about:
// Group.Use middleware also runs for unknown paths of the group, so they
// answer 401 instead of 404 without a session.
func TestGroupUnknownPath(t *testing.T) {
	v, _ := conformance.Cases(t)
	mw, err := sessionecho.Required(v)
	if err != nil {
		t.Fatal(err)
	}
	e := newEcho()
	g := e.Group("/api", mw)
	g.GET("/me", ok)
	if rec := serve(e, "GET", "/api/nope", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("unknown group path: %d, want 401", rec.Code)
	}
	if rec := serve(e, "GET", "/nope", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown path outside the group: %d, want 404", rec.Code)
	}
}

func TestNoPanics(t *testing.T) {
	if _, err := sessionecho.Required(nil); err == nil {
		t.Error("Required(nil) returned no error")
	}
	if _, err := sessionecho.Optional(nil); err == nil {
		t.Error("Optional(nil) returned no error")
	}
	v, _ := conformance.Cases(t)
	if _, err := sessionecho.Required(v, nil); err == nil {
		t.Error("nil route option accepted")
	}
	if s, ok := sessionecho.FromContext(nil); ok || s != nil {
		t.Error("FromContext(nil) reported a session")
	}
	e := newEcho()
	e.GET("/", ok, sessionecho.Middleware(nil))
	// A nil guard fails closed with the core's 401, as in every adapter.
	if rec := serve(e, "GET", "/", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("Middleware(nil): status %d, want 401", rec.Code)
	}
	e.GET("/ctx", func(c echo.Context) error {
		if _, ok := sessionecho.FromContext(c); ok {
			t.Error("session without middleware")
		}
		return nil
	})
	serve(e, "GET", "/ctx", nil)
}

// TestOptionOwnership: this adapter's options are its own (see
// conformance.RunOptionOwnership).
func TestOptionOwnership(t *testing.T) {
	conformance.RunOptionOwnership(t, sessionecho.WithSkipper(func(echo.Context) bool { return false }),
		func(v *sessionguard.Verifier, required bool, opts ...sessionguard.RouteOption) error {
			if required {
				_, err := sessionecho.Required(v, opts...)
				return err
			}
			_, err := sessionecho.Optional(v, opts...)
			return err
		})
}
