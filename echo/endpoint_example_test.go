package sessionecho_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"
	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionecho "github.com/sessionguard/sessionguard/echo"
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
	e := echo.New()
	e.POST("/login", func(c echo.Context) error {
		user := "user-42" // authenticate the request first (password, passkey, …)
		resp := create(c.Request().Context(), sessionecho.View(c), user, nil, "laptop")
		if resp.Status != http.StatusOK {
			resp.Write(c.Response()) // 400 or 503 as the issuer rendered it
			return nil
		}
		sessionecho.Attach(c, resp)
		return c.Redirect(http.StatusSeeOther, "/home")
	})

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Header().Get("Cache-Control"))
	// Output: 303 /home no-store
}

// Mounting the session endpoints: each answers 405 itself to a wrong
// method, so it is mounted for every method (Any).
func ExampleHandler() {
	e := echo.New()
	e.Any("/auth/refresh", sessionecho.Handler(refresh))
	e.Any("/auth/logout", sessionecho.Handler(logout))
	e.Any("/auth/sessions", sessionecho.Handler(sessions))
	e.Any("/auth/sessions/revoke", sessionecho.Handler(revoke))

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("POST", "/auth/logout", nil))
	fmt.Println(rec.Code)
	// Output: 204
}
