package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	ginjwt "github.com/appleboy/gin-jwt/v2"
	jwtmiddleware "github.com/auth0/go-jwt-middleware/v2"
	"github.com/auth0/go-jwt-middleware/v2/validator"
	"github.com/gin-gonic/gin"
	fiberjwt "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	jwtv4 "github.com/golang-jwt/jwt/v4"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionecho "github.com/sessionguard/sessionguard/echo"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
	sessiongin "github.com/sessionguard/sessionguard/gin"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

// The claims every token carries. "aud" is present because auth0's
// validator cannot be configured without an audience; sessionguard and
// auth0 check iss and aud, the other peers cannot (see README.md).
const (
	issuer   = "https://auth.example.com"
	audience = "api.example.com"
	subject  = "user-1234567890"
	path     = "/me"
)

var (
	algs       = []string{"RS256", "ES256"}
	frameworks = []string{"nethttp", "gin", "echo", "fiber"}
	caseNames  = []string{"valid", "expired", "missing"}
	okBody     = []byte("ok")
)

func init() { gin.SetMode(gin.ReleaseMode) }

// fixture is one algorithm's key and tokens, shared by every implementation.
type fixture struct {
	alg            string
	key            *sgtest.Key
	valid, expired string
	forged         string // valid claims, one signature byte changed (tests only)
}

func (f *fixture) authz(c string) string {
	switch c {
	case "valid":
		return "Bearer " + f.valid
	case "expired":
		return "Bearer " + f.expired
	case "forged":
		return "Bearer " + f.forged
	}
	return "" // missing: no Authorization header at all
}

var fixtures = map[string]*fixture{}

func fixtureFor(alg string) *fixture {
	if f, ok := fixtures[alg]; ok {
		return f
	}
	k := sgtest.NewKey(alg, "bench-"+alg)
	now := time.Now()
	claims := func(iat, exp time.Time) map[string]any {
		return map[string]any{"iss": issuer, "sub": subject, "aud": audience,
			"iat": iat.Unix(), "exp": exp.Unix()}
	}
	f := &fixture{alg: alg, key: k,
		valid:   k.Mint(claims(now, now.Add(24*time.Hour))),
		expired: k.Mint(claims(now.Add(-2*time.Hour), now.Add(-time.Hour))),
	}
	// Change one character in the middle of the signature segment (never
	// the last one, whose low bits may be padding).
	sig := strings.LastIndexByte(f.valid, '.') + 1
	i := sig + (len(f.valid)-sig)/2
	c := byte('A')
	if f.valid[i] == 'A' {
		c = 'B'
	}
	f.forged = f.valid[:i] + string(c) + f.valid[i+1:]
	fixtures[alg] = f
	return f
}

// impl is one middleware in one framework for one algorithm. serve prepares
// a reusable request for authz ("" sends no header) and returns a function
// that runs it through the router once and reports the response status.
type impl struct {
	name  string
	serve func(authz string) func() int
	// want is the status each case gets (the peers' are their documented
	// defaults, recorded in README.md).
	want map[string]int
}

type suite struct {
	framework, alg string
	impls          []impl
}

func statuses(valid, expired, missing int) map[string]int {
	return map[string]int{"valid": valid, "expired": expired, "missing": missing}
}

var ours = statuses(200, 401, 401)

// suites builds every (framework, alg) with its implementations.
func suites(tb testing.TB) []suite {
	tb.Helper()
	var out []suite
	for _, fw := range frameworks {
		for _, alg := range algs {
			fx := fixtureFor(alg)
			s := suite{framework: fw, alg: alg}
			for _, cache := range []bool{true, false} {
				name := "sessionguard"
				if !cache {
					name = "sessionguard-nocache"
				}
				v := newVerifier(tb, fx, cache)
				s.impls = append(s.impls, impl{name: name, serve: oursFor(tb, fw, v), want: ours})
			}
			s.impls = append(s.impls, peerFor(tb, fw, fx))
			out = append(out, s)
		}
	}
	return out
}

func newVerifier(tb testing.TB, fx *fixture, cache bool) *sessionguard.Verifier {
	tb.Helper()
	opts := []sessionguard.Option{
		sessionguard.WithIssuer(issuer, sessionguard.PublicKeys(sessionguard.PublicKey{
			ID: fx.key.ID, Algorithm: fx.alg, Key: fx.key.Public()})),
		sessionguard.WithAudience(audience),
		sessionguard.WithTransfer(sessionguard.TransferHeader), // the peers read the header only
	}
	if !cache {
		opts = append(opts, sessionguard.WithoutCache())
	}
	v, err := sessionguard.New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	return v
}

// oursFor mounts the sessionguard adapter of framework fw.
func oursFor(tb testing.TB, fw string, v *sessionguard.Verifier) func(string) func() int {
	tb.Helper()
	var err error
	switch fw {
	case "nethttp":
		var mw func(http.Handler) http.Handler
		if mw, err = sessionhttp.Required(v); err == nil {
			return netHTTPApp(mw(http.HandlerFunc(okHTTP)))
		}
	case "gin":
		var mw gin.HandlerFunc
		if mw, err = sessiongin.Required(v); err == nil {
			return ginApp(mw)
		}
	case "echo":
		var mw echo.MiddlewareFunc
		if mw, err = sessionecho.Required(v); err == nil {
			return echoApp(mw)
		}
	case "fiber":
		var mw fiber.Handler
		if mw, err = sessionfiber.Required(v); err == nil {
			return fiberApp(mw)
		}
	default:
		err = errors.New("unknown framework " + fw)
	}
	tb.Fatal(err)
	return nil
}

// peerFor mounts the peer middleware of framework fw, configured for fx.
func peerFor(tb testing.TB, fw string, fx *fixture) impl {
	tb.Helper()
	pub := fx.key.Public()
	switch fw {
	case "nethttp":
		// auth0: a keyFunc returning the loaded key (no JWKS provider, so
		// no network). Issuer and audience are mandatory arguments.
		val, err := validator.New(
			func(context.Context) (any, error) { return pub, nil },
			validator.SignatureAlgorithm(fx.alg), issuer, []string{audience})
		if err != nil {
			tb.Fatal(err)
		}
		mw := jwtmiddleware.New(val.ValidateToken)
		// Missing token: 400 (DefaultErrorHandler: ErrJWTMissing).
		return impl{name: "auth0", serve: netHTTPApp(mw.CheckJWT(http.HandlerFunc(okHTTP))), want: statuses(200, 401, 400)}
	case "gin":
		// gin-jwt verifies only through KeyFunc: its built-in RS* path
		// also requires a private key, and it has no ES* key path at all.
		alg := fx.alg
		mw, err := ginjwt.New(&ginjwt.GinJWTMiddleware{
			Realm:            "api",
			SigningAlgorithm: alg,
			KeyFunc: func(t *jwtv4.Token) (any, error) {
				if t.Method.Alg() != alg {
					return nil, ginjwt.ErrInvalidSigningAlgorithm
				}
				return pub, nil
			},
			IdentityKey: "sub",
		})
		if err != nil {
			tb.Fatal(err)
		}
		return impl{name: "ginjwt", serve: ginApp(mw.MiddlewareFunc()), want: statuses(200, 401, 401)}
	case "echo":
		mw, err := echojwt.Config{SigningKey: pub, SigningMethod: fx.alg}.ToMiddleware()
		if err != nil {
			tb.Fatal(err)
		}
		return impl{name: "echojwt", serve: echoApp(mw), want: statuses(200, 401, 401)}
	case "fiber":
		mw := fiberjwt.New(fiberjwt.Config{SigningKey: fiberjwt.SigningKey{JWTAlg: fx.alg, Key: pub}})
		// Missing token: 400 "missing or malformed JWT" (default ErrorHandler).
		return impl{name: "fiberjwt", serve: fiberApp(mw), want: statuses(200, 401, 400)}
	}
	tb.Fatal("unknown framework " + fw)
	return impl{}
}

// --- the routers ---------------------------------------------------------

func okHTTP(w http.ResponseWriter, _ *http.Request) {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(okBody)
}

func netHTTPApp(h http.Handler) func(string) func() int {
	mux := http.NewServeMux()
	mux.Handle("GET "+path, h)
	return httpServe(mux)
}

func ginApp(mw gin.HandlerFunc) func(string) func() int {
	r := gin.New()
	r.GET(path, mw, func(c *gin.Context) {
		c.Writer.WriteHeader(http.StatusOK)
		_, _ = c.Writer.Write(okBody)
	})
	return httpServe(r)
}

func echoApp(mw echo.MiddlewareFunc) func(string) func() int {
	e := echo.New()
	e.GET(path, func(c echo.Context) error {
		c.Response().WriteHeader(http.StatusOK)
		_, err := c.Response().Write(okBody)
		return err
	}, mw)
	return httpServe(e)
}

func fiberApp(mw fiber.Handler) func(string) func() int {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get(path, mw, func(c *fiber.Ctx) error {
		return c.Status(fiber.StatusOK).Send(okBody)
	})
	h := app.Handler()
	return func(authz string) func() int {
		var req fasthttp.Request
		req.Header.SetMethod(fiber.MethodGet)
		req.SetRequestURI(path)
		req.Header.SetHost("api.example.com")
		if authz != "" {
			req.Header.Set(fiber.HeaderAuthorization, authz)
		}
		ctx := new(fasthttp.RequestCtx)
		ctx.Init(&req, nil, nil)
		return func() int {
			ctx.Response.Reset()
			h(ctx)
			return ctx.Response.StatusCode()
		}
	}
}

// httpServe runs net/http, Gin and Echo through ServeHTTP on one reused
// request and one reused discardWriter.
func httpServe(h http.Handler) func(string) func() int {
	return func(authz string) func() int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = "api.example.com"
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		w := &discardWriter{h: make(http.Header)}
		return func() int {
			w.reset()
			h.ServeHTTP(w, req)
			return w.status
		}
	}
}

// discardWriter is the cheapest http.ResponseWriter that still records the
// status: headers go to a map cleared before each request, the body is
// dropped. Every implementation of a framework gets the same writer.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

func (w *discardWriter) reset() {
	clear(w.h)
	w.status = 0
}
