package sessiongin_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/conformance"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessiongin "github.com/sessionguard/sessionguard/gin"
)

// TestMode keeps Gin's debug route listing off stdout (the Examples compare it).
func init() { gin.SetMode(gin.TestMode) }

// mount serves the conformance routes through this adapter.
func mount(t testing.TB, v *sessionguard.Verifier) string {
	r := gin.New()
	ok := func(c *gin.Context) {
		fromGin, _ := sessiongin.FromContext(c)
		fromCtx, _ := sessionguard.FromContext(c.Request.Context())
		if !conformance.Same(fromGin, fromCtx) {
			c.String(http.StatusInternalServerError, conformance.MismatchBody)
			return
		}
		c.Data(http.StatusOK, "application/json", conformance.SuccessBody(fromCtx))
	}
	health := func(c *gin.Context) { c.String(http.StatusOK, conformance.HealthBody) }
	for _, rt := range conformance.Routes() {
		handlers := []gin.HandlerFunc{health}
		if rt.Verify {
			mw, err := sessiongin.Optional(v, rt.Options...)
			if rt.Required {
				mw, err = sessiongin.Required(v, rt.Options...)
			}
			if err != nil {
				t.Fatal(err)
			}
			handlers = []gin.HandlerFunc{mw, ok}
		}
		for _, m := range conformance.Methods {
			r.Handle(m, rt.Path, handlers...)
		}
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConformance(t *testing.T) { conformance.Run(t, mount) }

func TestSkipper(t *testing.T) {
	v, _ := conformance.Cases(t)
	mw, err := sessiongin.Required(v, sessiongin.WithSkipper(func(c *gin.Context) bool { return c.FullPath() == "/public" }))
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(mw)
	h := func(c *gin.Context) { c.Status(http.StatusNoContent) }
	r.GET("/public", h)
	r.GET("/private", h)
	for path, want := range map[string]int{"/public": 204, "/private": 401} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s: status %d, want %d", path, rec.Code, want)
		}
	}
	if _, err := sessiongin.Required(v, sessiongin.WithSkipper(nil)); err == nil {
		t.Error("nil skipper accepted")
	}
}

func TestConstructionErrors(t *testing.T) {
	v, _ := conformance.Cases(t)
	for name, build := range map[string]func() (gin.HandlerFunc, error){
		"required/nil-skipper":  func() (gin.HandlerFunc, error) { return sessiongin.Required(v, sessiongin.WithSkipper(nil)) },
		"optional/nil-skipper":  func() (gin.HandlerFunc, error) { return sessiongin.Optional(v, sessiongin.WithSkipper(nil)) },
		"required/nil-option":   func() (gin.HandlerFunc, error) { return sessiongin.Required(v, nil) },
		"optional/nil-verifier": func() (gin.HandlerFunc, error) { return sessiongin.Optional(nil) },
		"required/nil-verifier": func() (gin.HandlerFunc, error) { return sessiongin.Required(nil) },
	} {
		if mw, err := build(); err == nil || mw != nil {
			t.Errorf("%s: got %v, %v; want nil, error", name, mw != nil, err)
		}
	}
}

// TestAbort checks that a refused request never reaches later handlers, that
// c.Errors carries the *sessionguard.Error as a private error for logging
// middleware, and that the response is the core's, byte for byte.
func TestAbort(t *testing.T) {
	key := sgtest.NewKey("ES256", "k")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://iss.test", sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	expired := key.Mint(sgtest.Claims("https://iss.test", "u", -time.Minute))
	valid := key.Mint(sgtest.Claims("https://iss.test", "u", time.Minute))
	mw, err := sessiongin.Required(v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		authz  string
		want   error // nil: allowed
		reason error
	}{
		{"no-token", "", sessionguard.ErrUnauthorised, sessionguard.ErrNoToken},
		{"expired", "Bearer " + expired, sessionguard.ErrTryRefreshToken, sessionguard.ErrTokenExpired},
		{"valid", "Bearer " + valid, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logged []*gin.Error
			reached := false
			r := gin.New()
			r.Use(func(c *gin.Context) { // a logging middleware
				c.Next()
				logged = c.Errors.ByType(gin.ErrorTypePrivate)
			})
			r.GET("/", mw, func(c *gin.Context) {
				reached = true
				c.Status(http.StatusNoContent)
			})
			req := httptest.NewRequest("GET", "/", nil)
			if tc.authz != "" {
				req.Header.Set("Authorization", tc.authz)
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if tc.want == nil {
				if !reached || rec.Code != http.StatusNoContent || len(logged) != 0 {
					t.Fatalf("reached=%v status=%d errors=%v", reached, rec.Code, logged)
				}
				return
			}
			if reached {
				t.Error("downstream handler ran after the middleware refused the request")
			}
			if len(logged) != 1 {
				t.Fatalf("c.Errors (private) = %v, want one error", logged)
			}
			var se *sessionguard.Error
			if !errors.As(logged[0], &se) || !errors.Is(logged[0], tc.want) || !errors.Is(logged[0], tc.reason) {
				t.Errorf("logged error %v: want %v / %v", logged[0], tc.want, tc.reason)
			}
			g, _ := v.Required()
			wantResp := g.Render(se)
			if rec.Code != wantResp.Status || rec.Body.String() != string(wantResp.Body) {
				t.Errorf("response %d %q, want %d %q", rec.Code, rec.Body, wantResp.Status, wantResp.Body)
			}
			for k, vs := range wantResp.Header {
				if got := rec.Header()[k]; len(got) != len(vs) || got[0] != vs[0] {
					t.Errorf("header %s = %q, want %q", k, got, vs)
				}
			}
		})
	}
}

// TestRenderer: a custom renderer's response is written as is (status,
// every header value, body; an empty body stays empty).
func TestRenderer(t *testing.T) {
	v, _ := conformance.Cases(t)
	for _, body := range []string{"", "custom"} {
		mw, err := sessiongin.Required(v, sessionguard.WithRenderer(func(e *sessionguard.Error) sessionguard.Response {
			return sessionguard.Response{Status: http.StatusTeapot, Header: http.Header{"X-Code": {string(e.Code), "b"}}, Body: []byte(body)}
		}))
		if err != nil {
			t.Fatal(err)
		}
		r := gin.New()
		r.GET("/", mw, func(c *gin.Context) { c.Status(http.StatusNoContent) })
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if got := rec.Header()["X-Code"]; rec.Code != http.StatusTeapot || rec.Body.String() != body || len(got) != 2 || got[0] != "UNAUTHORISED" || got[1] != "b" {
			t.Errorf("body %q: got %d %q %q", body, rec.Code, got, rec.Body)
		}
	}
}

// TestPublicErrorLoggerKeepsBody: gin.ErrorLoggerT(gin.ErrorTypePublic)
// renders only public errors, so the core's body is left intact.
func TestPublicErrorLoggerKeepsBody(t *testing.T) {
	v, _ := conformance.Cases(t)
	mw, err := sessiongin.Required(v)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(gin.ErrorLoggerT(gin.ErrorTypePublic))
	r.GET("/", mw, func(c *gin.Context) { c.Status(http.StatusNoContent) })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	want := v.DefaultResponse(&sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrNoToken})
	if rec.Code != want.Status || rec.Body.String() != string(want.Body) {
		t.Errorf("response %d %q, want %d %q", rec.Code, rec.Body, want.Status, want.Body)
	}
}

func TestFromContextWithoutSession(t *testing.T) {
	if s, ok := sessiongin.FromContext(nil); ok || s != nil {
		t.Error("FromContext(nil) reported a session")
	}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	if s, ok := sessiongin.FromContext(c); ok || s != nil {
		t.Error("fresh context reported a session")
	}
}

// TestContextAccess: the session is readable from the gin.Context, from
// c.Request.Context(), from the gin.Context itself when the engine has
// ContextWithFallback, and from c.Copy() (for goroutines).
func TestContextAccess(t *testing.T) {
	key := sgtest.NewKey("ES256", "k")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://iss.test", sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()
	mw, err := sessiongin.Optional(v)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.ContextWithFallback = true
	var got []string
	r.GET("/", mw, func(c *gin.Context) {
		got = got[:0]
		for _, read := range []func() (*sessionguard.Session, bool){
			func() (*sessionguard.Session, bool) { return sessiongin.FromContext(c) },
			func() (*sessionguard.Session, bool) { return sessionguard.FromContext(c.Request.Context()) },
			func() (*sessionguard.Session, bool) { return sessionguard.FromContext(c) },
			func() (*sessionguard.Session, bool) { return sessiongin.FromContext(c.Copy()) },
		} {
			s, ok := read()
			if !ok {
				got = append(got, "")
				continue
			}
			got = append(got, s.Subject())
		}
	})
	for _, tc := range []struct{ name, authz, want string }{
		{"session", "Bearer " + key.Mint(sgtest.Claims("https://iss.test", "u1", time.Minute)), "u1"},
		{"anonymous", "", ""},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		if tc.authz != "" {
			req.Header.Set("Authorization", tc.authz)
		}
		r.ServeHTTP(httptest.NewRecorder(), req)
		if len(got) != 4 {
			t.Fatalf("%s: handler not reached", tc.name)
		}
		for i, g := range got {
			if g != tc.want {
				t.Errorf("%s: accessor %d = %q, want %q", tc.name, i, g, tc.want)
			}
		}
	}
}

func BenchmarkMiddleware(b *testing.B) {
	key := sgtest.NewKey("ES256", "k")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://iss.test", sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()
	mw, _ := sessiongin.Required(v)
	r := gin.New()
	r.GET("/", mw, func(c *gin.Context) { c.Status(http.StatusNoContent) })
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+key.Mint(sgtest.Claims("https://iss.test", "u", time.Hour)))
	b.ReportAllocs()
	for b.Loop() {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// TestOptionOwnership: this adapter's options are its own (see
// conformance.RunOptionOwnership).
func TestOptionOwnership(t *testing.T) {
	conformance.RunOptionOwnership(t, sessiongin.WithSkipper(func(*gin.Context) bool { return false }),
		func(v *sessionguard.Verifier, required bool, opts ...sessionguard.RouteOption) error {
			if required {
				_, err := sessiongin.Required(v, opts...)
				return err
			}
			_, err := sessiongin.Optional(v, opts...)
			return err
		})
}
