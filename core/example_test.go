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
