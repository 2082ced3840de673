package sessionecho_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionecho "github.com/sessionguard/sessionguard/echo"
)

func Example() {
	// In production: sessionguard.RemoteJWKS("https://auth.example.com/.well-known/jwks.json").
	key := sgtest.NewKey("ES256", "key-1")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		panic(err)
	}
	defer v.Close()

	requireSession, err := sessionecho.Required(v)
	if err != nil {
		panic(err)
	}
	e := echo.New()
	e.GET("/me", func(c echo.Context) error {
		s, _ := sessionecho.FromContext(c)
		return c.String(http.StatusOK, fmt.Sprintf("hello %s (token from the %s)", s.Subject(), s.Source()))
	}, requireSession)

	token := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", 5*time.Minute))
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/me", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"), rec.Body.String())
	// Output:
	// 200 hello user-42 (token from the header)
	// 401 Bearer realm="api" {"error":"UNAUTHORISED","message":"A valid session is required."}
}

func ExampleOptional() {
	key := sgtest.NewKey("EdDSA", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()

	optional, _ := sessionecho.Optional(v, sessionguard.WithTransfer(sessionguard.TransferCookie))
	e := echo.New()
	e.GET("/feed", func(c echo.Context) error {
		if s, ok := sessionecho.FromContext(c); ok {
			return c.String(http.StatusOK, "signed in as "+s.Subject())
		}
		return c.String(http.StatusOK, "anonymous")
	}, optional)

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/feed", nil))
	fmt.Println(rec.Code, rec.Body.String())

	expired := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", -time.Minute))
	req := httptest.NewRequest("GET", "/feed", nil)
	req.AddCookie(&http.Cookie{Name: "access_token", Value: expired})
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 anonymous
	// 401 {"error":"TRY_REFRESH_TOKEN","message":"The session token is expired or invalid; refresh the session and retry."}
}

// A custom HTTPErrorHandler sees every refusal as an *echo.HTTPError whose
// Internal is the *sessionguard.Error. The response is already written, so
// the handler must not write another one: check c.Response().Committed, as
// Echo's default handler does.
func Example_errorHandler() {
	key := sgtest.NewKey("ES256", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()

	requireSession, _ := sessionecho.Required(v)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		var se *sessionguard.Error
		if errors.As(err, &se) { // e.g. count refusals per code in your metrics
			fmt.Println("refused:", se.Code, errors.Is(err, sessionguard.ErrTokenExpired))
		}
		if c.Response().Committed {
			return
		}
		e.DefaultHTTPErrorHandler(err, c)
	}
	e.GET("/me", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, requireSession)

	expired := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", -time.Minute))
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+expired)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// refused: TRY_REFRESH_TOKEN true
	// 401 {"error":"TRY_REFRESH_TOKEN","message":"The session token is expired or invalid; refresh the session and retry."}
}

func ExampleWithSkipper() {
	key := sgtest.NewKey("ES256", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()

	// One middleware for the whole app, skipping the public routes.
	requireSession, err := sessionecho.Required(v, sessionecho.WithSkipper(func(c echo.Context) bool {
		return c.Path() == "/healthz"
	}))
	if err != nil {
		panic(err)
	}
	e := echo.New()
	e.Use(requireSession)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/me", func(c echo.Context) error { return c.String(http.StatusOK, "me") })

	for _, path := range []string{"/healthz", "/me"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, rec.Code)
	}
	// Output:
	// /healthz 200
	// /me 401
}

// The README's usage: run and newServer are compiled here, and
// Example_readme runs newServer (run itself would listen on a port).
var _ = run

func run() error {
	v, err := sessionguard.New(sessionguard.WithIssuer(
		"https://auth.example.com",
		sessionguard.RemoteJWKS("https://auth.example.com/.well-known/jwks.json"),
	))
	if err != nil {
		return err
	}
	defer v.Close()

	e, err := newServer(v)
	if err != nil {
		return err
	}
	return e.Start("127.0.0.1:8080")
}

func newServer(v *sessionguard.Verifier) (*echo.Echo, error) {
	requireSession, err := sessionecho.Required(v)
	if err != nil {
		return nil, err
	}
	optionalSession, err := sessionecho.Optional(v)
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.GET("/me", me, requireSession)       // one route
	api := e.Group("/api", requireSession) // or a group (see the notes below)
	api.GET("/orders", me)
	e.GET("/feed", me, optionalSession)
	return e, nil
}

func me(c echo.Context) error {
	s, ok := sessionecho.FromContext(c)
	if !ok {
		return c.JSON(http.StatusOK, map[string]any{"sub": nil}) // only on optional or skipped routes
	}
	return c.JSON(http.StatusOK, map[string]string{"sub": s.Subject(), "source": s.Source().String()})
}

func Example_readme() {
	key := sgtest.NewKey("ES256", "key-1")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	e, err := newServer(v)
	if err != nil {
		panic(err)
	}
	token := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", 5*time.Minute))
	for _, tc := range []struct{ path, auth string }{
		{"/me", "Bearer " + token}, {"/api/orders", ""}, {"/feed", ""},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		fmt.Println(tc.path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// /me 200 {"source":"header","sub":"user-42"}
	// /api/orders 401 {"error":"UNAUTHORISED","message":"A valid session is required."}
	// /feed 200 {"sub":null}
}
