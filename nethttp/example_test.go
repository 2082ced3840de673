package sessionhttp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
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

	requireSession, err := sessionhttp.Required(v)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/me", requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessionhttp.FromRequest(r)
		fmt.Fprintf(w, "hello %s (token from the %s)", s.Subject(), s.Source())
	})))

	token := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", 5*time.Minute))
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())

	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/me", nil))
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

	optional, _ := sessionhttp.Optional(v, sessionguard.WithTransfer(sessionguard.TransferCookie))
	h := optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := sessionhttp.FromRequest(r); ok {
			fmt.Fprintln(w, "signed in as", s.Subject())
			return
		}
		fmt.Fprintln(w, "anonymous")
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/feed", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())

	expired := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", -time.Minute))
	req := httptest.NewRequest("GET", "/feed", nil)
	req.AddCookie(&http.Cookie{Name: "access_token", Value: expired})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 anonymous
	// 401 {"error":"TRY_REFRESH_TOKEN","message":"The session token is expired or invalid; refresh the session and retry."}
}

// The README's usage: run and newMux are compiled here, and Example_readme
// runs newMux (run itself would listen on a port).
var _ = run

func run() error {
	v, err := sessionguard.New(
		sessionguard.WithIssuer("https://auth.example.com",
			sessionguard.RemoteJWKS("https://auth.example.com/.well-known/jwks.json")),
		sessionguard.WithAudience("api.example.com"),     // optional
		sessionguard.WithRefreshMarker("refresh_marker"), // optional
	)
	if err != nil {
		return err
	}
	defer v.Close()

	mux, err := newMux(v)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: "127.0.0.1:8080", Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

func newMux(v *sessionguard.Verifier) (*http.ServeMux, error) {
	required, err := sessionhttp.Required(v)
	if err != nil {
		return nil, err
	}
	optional, err := sessionhttp.Optional(v, sessionguard.WithTransfer(sessionguard.TransferCookie))
	if err != nil {
		return nil, err
	}
	admin, err := sessionhttp.Required(v, sessionguard.WithClaims(sessionguard.Includes("roles", "admin")))
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/me", required(http.HandlerFunc(me)))   // Required returns a func(http.Handler) http.Handler
	mux.Handle("/feed", optional(http.HandlerFunc(me))) // cookie only, anonymous allowed
	mux.Handle("/admin/", admin(http.HandlerFunc(me)))  // roles must include "admin"
	return mux, nil
}

func me(w http.ResponseWriter, r *http.Request) {
	s, ok := sessionhttp.FromRequest(r) // same as sessionguard.FromContext(r.Context())
	if !ok {
		fmt.Fprintln(w, "anonymous") // only on optional routes
		return
	}
	fmt.Fprintln(w, s.Subject(), s.Source())
}

func Example_readme() {
	key := sgtest.NewKey("ES256", "key-1")
	v, err := sessionguard.New(
		sessionguard.WithIssuer("https://auth.example.com", sessionguard.StaticJWKS(sgtest.JWKS(key))),
		sessionguard.WithAudience("api.example.com"),
		sessionguard.WithRefreshMarker("refresh_marker"),
	)
	if err != nil {
		panic(err)
	}
	defer v.Close()
	mux, err := newMux(v)
	if err != nil {
		panic(err)
	}
	claims := sgtest.Claims("https://auth.example.com", "user-42", 5*time.Minute)
	claims["aud"] = "api.example.com"
	token := key.Mint(claims)

	for _, tc := range []struct{ path, header, cookie string }{
		{"/me", "Bearer " + token, ""},
		{"/me", "", ""},
		{"/feed", "", ""},
		{"/feed", "", token},
		{"/admin/", "Bearer " + token, ""},
	} {
		req := httptest.NewRequest("GET", tc.path, nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		if tc.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "access_token", Value: tc.cookie})
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(tc.path, rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// /me 200 user-42 header
	// /me 401 {"error":"UNAUTHORISED","message":"A valid session is required."}
	// /feed 200 anonymous
	// /feed 200 user-42 cookie
	// /admin/ 403 {"error":"INVALID_CLAIMS","message":"The session lacks a required claim.","claims":[{"id":"roles","reason":"claim is missing"}]}
}
