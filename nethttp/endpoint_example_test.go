package sessionhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

// Stand-ins for the issuer module's sessionissuer.Mount (this module does not
// depend on it; examples/sessions wires the real one): its Create method
// value and its endpoints have these types.
var (
	create = func(_ context.Context, _ sessionguard.Request, sub string, _ map[string]any, _ string) sessionguard.Response {
		return sessionguard.Response{Status: 200, Header: http.Header{
			"Set-Cookie":    {"access_token=…; Path=/; HttpOnly; Secure; SameSite=Lax"},
			"Cache-Control": {"no-store"},
		}}
	}
	refresh, logout, sessions, revoke sessionguard.Endpoint = stub, stub, stub, stub
)

var stub = sessionguard.EndpointFunc(func(context.Context, sessionguard.Request) sessionguard.Response {
	return sessionguard.Response{Status: http.StatusNoContent}
})

// A login handler: the application authenticates the user, then the issuer
// starts the session and Attach adds its cookies (or token headers) to the
// application's own answer.
func ExampleAttach() {
	login := func(w http.ResponseWriter, r *http.Request) {
		user := "user-42" // authenticate the request first (password, passkey, …)
		resp := create(r.Context(), sessionhttp.View(r), user, nil, "laptop")
		if resp.Status != http.StatusOK {
			resp.Write(w) // 400 or 503 as the issuer rendered it
			return
		}
		sessionhttp.Attach(w, resp)
		http.Redirect(w, r, "/home", http.StatusSeeOther)
	}

	rec := httptest.NewRecorder()
	login(rec, httptest.NewRequest("POST", "/login", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Header().Get("Cache-Control"))
	// Output: 303 /home no-store
}

// Mounting the session endpoints: each answers 405 itself to a wrong
// method, so it is mounted for every method.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("/auth/refresh", sessionhttp.Handler(refresh))
	mux.Handle("/auth/logout", sessionhttp.Handler(logout))
	mux.Handle("/auth/sessions", sessionhttp.Handler(sessions))
	mux.Handle("/auth/sessions/revoke", sessionhttp.Handler(revoke))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/auth/logout", nil))
	fmt.Println(rec.Code)
	// Output: 204
}
