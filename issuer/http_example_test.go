package sessionissuer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// The HTTP surface: a mount renders create, refresh, logout and own
// sessions as responses that every adapter serves alike (docs/http.md).
func ExampleIssuer_Mount() {
	ctx := context.Background()
	iss, err := sessionissuer.New(sessionissuer.NewMemoryStore(), sessionissuer.WithIssuer("https://api.example.com"))
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	if err := iss.Ready(ctx); err != nil {
		panic(err)
	}
	v, err := sessionguard.New(iss.VerifierOptions()...)
	if err != nil {
		panic(err)
	}
	defer v.Close()

	m, err := iss.Mount(v, sessionissuer.WithBasePath("/auth"))
	if err != nil {
		panic(err)
	}
	// In a login handler, after authenticating the user; an adapter's
	// Attach adds resp's cookies to the handler's own answer, or its
	// Handler serves m.Refresh(), m.Logout(), m.Sessions(), m.RevokeSession().
	login := httptest.NewRequest("POST", "/login", nil)
	resp := m.Create(ctx, sessionguard.HTTPRequest{R: login}, "user-42", nil, "laptop")
	fmt.Println(resp.Status, len(resp.Header["Set-Cookie"]), resp.Header.Get("Cache-Control"))

	// The browser sends the cookies back; the refresh endpoint rotates.
	refresh := httptest.NewRequest("POST", "/auth/refresh", nil)
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		refresh.AddCookie(c)
	}
	fmt.Println(m.Refresh().ServeEndpoint(ctx, sessionguard.HTTPRequest{R: refresh}).Status)
	// Output:
	// 200 3 no-store
	// 200
}
