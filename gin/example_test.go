package sessiongin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gin-gonic/gin"
	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessiongin "github.com/sessionguard/sessionguard/gin"
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

	requireSession, err := sessiongin.Required(v)
	if err != nil {
		panic(err)
	}
	r := gin.New()
	r.GET("/me", requireSession, func(c *gin.Context) {
		s, _ := sessiongin.FromContext(c)
		c.String(http.StatusOK, "hello %s (token from the %s)", s.Subject(), s.Source())
	})

	token := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", 5*time.Minute))
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/me", nil))
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

	optional, _ := sessiongin.Optional(v, sessionguard.WithTransfer(sessionguard.TransferCookie))
	r := gin.New()
	r.GET("/feed", optional, func(c *gin.Context) {
		if s, ok := sessiongin.FromContext(c); ok {
			c.String(http.StatusOK, "signed in as %s\n", s.Subject())
			return
		}
		c.String(http.StatusOK, "anonymous\n")
	})

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/feed", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())

	expired := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", -time.Minute))
	req := httptest.NewRequest("GET", "/feed", nil)
	req.AddCookie(&http.Cookie{Name: "access_token", Value: expired})
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 anonymous
	// 401 {"error":"TRY_REFRESH_TOKEN","message":"The session token is expired or invalid; refresh the session and retry."}
}

// Errors of refused requests are in c.Errors (as gin.ErrorTypePrivate), so a
// logging middleware can record why a request was refused.
func ExampleMiddleware_logging() {
	key := sgtest.NewKey("ES256", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()
	g, _ := v.Required()

	r := gin.New()
	r.Use(func(c *gin.Context) {
		c.Next()
		for _, e := range c.Errors.ByType(gin.ErrorTypePrivate) {
			var se *sessionguard.Error
			if errors.As(e, &se) { // *gin.Error unwraps to it
				fmt.Println("refused:", se.Code, "-", se.Reason)
			}
		}
	})
	r.GET("/me", sessiongin.Middleware(g), func(c *gin.Context) { c.Status(http.StatusNoContent) })

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/me", nil))
	fmt.Println(rec.Code)
	// Output:
	// refused: UNAUTHORISED - no token was sent
	// 401
}

// Service code below the handler reads the session from the request's
// context.Context, as in every sessionguard adapter.
func ExampleFromContext() {
	key := sgtest.NewKey("ES256", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()
	requireSession, _ := sessiongin.Required(v)

	owner := func(ctx context.Context) string { // e.g. a repository method
		s, _ := sessionguard.FromContext(ctx)
		return s.Subject()
	}
	r := gin.New()
	r.GET("/orders", requireSession, func(c *gin.Context) {
		c.String(http.StatusOK, "orders of %s", owner(c.Request.Context()))
	})

	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+key.Mint(sgtest.Claims("https://auth.example.com", "user-7", time.Minute)))
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: orders of user-7
}

// The README's usage: run and newRouter are compiled here, and
// Example_readme runs newRouter (run itself would listen on a port).
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

	r, err := newRouter(v)
	if err != nil {
		return err
	}
	return r.Run("127.0.0.1:8080")
}

func newRouter(v *sessionguard.Verifier) (*gin.Engine, error) {
	requireSession, err := sessiongin.Required(v)
	if err != nil {
		return nil, err
	}
	optionalSession, err := sessiongin.Optional(v)
	if err != nil {
		return nil, err
	}

	r := gin.New()
	r.GET("/me", requireSession, me)       // one route
	api := r.Group("/api", requireSession) // or a group
	api.GET("/orders", me)
	r.GET("/feed", optionalSession, me)
	return r, nil
}

func me(c *gin.Context) {
	s, ok := sessiongin.FromContext(c)
	if !ok {
		c.JSON(http.StatusOK, gin.H{"sub": nil}) // only on optional or skipped routes
		return
	}
	c.JSON(http.StatusOK, gin.H{"sub": s.Subject(), "source": s.Source().String()})
}

func Example_readme() {
	key := sgtest.NewKey("ES256", "key-1")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	r, err := newRouter(v)
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
		r.ServeHTTP(rec, req)
		fmt.Println(tc.path, rec.Code, rec.Body.String())
	}
	// Output:
	// /me 200 {"source":"header","sub":"user-42"}
	// /api/orders 401 {"error":"UNAUTHORISED","message":"A valid session is required."}
	// /feed 200 {"sub":null}
}
