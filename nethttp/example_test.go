package sessionhttp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
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
