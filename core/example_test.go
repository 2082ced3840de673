package sessionguard_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// A guard decides one request; errors carry a code and a reason.
func Example() {
	key := sgtest.NewKey("ES256", "key-1")
	// In production: sessionguard.RemoteJWKS("https://auth.example.com/.well-known/jwks.json")
	v, err := sessionguard.New(
		sessionguard.WithIssuer("https://auth.example.com", sessionguard.StaticJWKS(sgtest.JWKS(key))),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	guard, _ := v.Optional()

	check := func(r *http.Request) {
		s, err := guard.Check(r.Context(), sessionguard.HTTPRequest{R: r})
		switch {
		case errors.Is(err, sessionguard.ErrTryRefreshToken):
			fmt.Println("refresh, because:", errors.Unwrap(err))
		case err != nil:
			fmt.Println("refused:", err)
		case s == nil:
			fmt.Println("anonymous")
		default:
			fmt.Println("user", s.Subject(), "via", s.Source())
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	check(r)

	r.AddCookie(&http.Cookie{Name: "access_token", Value: key.Mint(sgtest.Claims("https://auth.example.com", "user-7", time.Minute))})
	check(r)

	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+key.Mint(sgtest.Claims("https://auth.example.com", "user-7", -time.Minute)))
	check(r)
	// Output:
	// anonymous
	// user user-7 via cookie
	// refresh, because: token expired
}

// Forward the caller's token to another backend of yours.
func ExampleNewTransport() {
	key := sgtest.NewKey("ES256", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com", sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()
	guard, _ := v.Required()

	orders := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("orders service got a bearer token:", len(r.Header.Get("Authorization")) > len("Bearer "))
	}))
	defer orders.Close()
	tr, _ := sessionguard.NewTransport(nil, orders.Listener.Addr().String())
	client := &http.Client{Transport: tr}

	in := httptest.NewRequest("GET", "/checkout", nil)
	in.Header.Set("Authorization", "Bearer "+key.Mint(sgtest.Claims("https://auth.example.com", "user-7", time.Minute)))
	s, err := guard.Check(in.Context(), sessionguard.HTTPRequest{R: in})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := sessionguard.NewContext(context.Background(), s) // adapters do this for you
	out, _ := http.NewRequestWithContext(ctx, "GET", orders.URL+"/orders", nil)
	resp, err := client.Do(out)
	if err == nil {
		resp.Body.Close()
	}
	// Output:
	// orders service got a bearer token: true
}

// Decode your own claims.
func ExampleClaims() {
	key := sgtest.NewKey("EdDSA", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com", sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()
	guard, _ := v.Required(sessionguard.WithClaims(sessionguard.Includes("roles", "admin")))

	c := sgtest.Claims("https://auth.example.com", "user-7", time.Minute)
	c["roles"] = []string{"admin"}
	c["org"] = "acme"
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+key.Mint(c))
	s, err := guard.Check(r.Context(), sessionguard.HTTPRequest{R: r})
	if err != nil {
		fmt.Println(err)
		return
	}
	type appClaims struct {
		Roles []string `json:"roles"`
		Org   string   `json:"org"`
	}
	ac, _ := sessionguard.Claims[appClaims](s)
	fmt.Println(ac.Org, ac.Roles)
	// Output:
	// acme [admin]
}

// The README's usage: run and protect are compiled here, and Example_readme
// runs protect (run itself would listen on a port).
var _ = run

func run(ctx context.Context) error {
	v, err := sessionguard.New(
		sessionguard.WithIssuer("https://auth.example.com",
			sessionguard.RemoteJWKS("https://auth.example.com/.well-known/jwks.json")),
		sessionguard.WithAudience("api.example.com"),
	)
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Ready(ctx); err != nil { // optional: wait for the first key-set load
		return err
	}

	h, err := protect(v, hello)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: h, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

// protect is what an adapter does: build the request view, check, render.
func protect(v *sessionguard.Verifier, next func(http.ResponseWriter, *sessionguard.Session)) (http.Handler, error) {
	guard, err := v.Required() // or v.Optional(...)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := guard.Check(r.Context(), sessionguard.HTTPRequest{R: r})
		if err != nil {
			guard.Render(err).Write(w) // the default response of the outcome
			return
		}
		next(w, s)
	}), nil
}

func hello(w http.ResponseWriter, s *sessionguard.Session) {
	fmt.Fprintln(w, "hello", s.Subject(), "via", s.Source())
}

func Example_readme() {
	key := sgtest.NewKey("ES256", "key-1")
	v, err := sessionguard.New(
		sessionguard.WithIssuer("https://auth.example.com", sessionguard.StaticJWKS(sgtest.JWKS(key))),
		sessionguard.WithAudience("api.example.com"),
	)
	if err != nil {
		panic(err)
	}
	defer v.Close()
	h, err := protect(v, hello)
	if err != nil {
		panic(err)
	}
	claims := sgtest.Claims("https://auth.example.com", "user-7", time.Minute)
	claims["aud"] = "api.example.com"
	for _, auth := range []string{"Bearer " + key.Mint(claims), ""} {
		r := httptest.NewRequest("GET", "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 hello user-7 via header
	// 401 {"error":"UNAUTHORISED","message":"A valid session is required."}
}
