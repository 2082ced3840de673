package sessionfiber_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gofiber/fiber/v2"
	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
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
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/login", func(c *fiber.Ctx) error {
		user := "user-42" // authenticate the request first (password, passkey, …)
		resp := create(c.UserContext(), sessionfiber.View(c), user, nil, "laptop")
		if resp.Status != http.StatusOK {
			return sessionfiber.Write(c, resp) // 400 or 503 as the issuer rendered it
		}
		sessionfiber.Attach(c, resp)
		return c.Redirect("/home", http.StatusSeeOther)
	})

	res, _ := app.Test(httptest.NewRequest("POST", "/login", nil))
	fmt.Println(res.StatusCode, res.Header.Get("Location"), res.Header.Get("Cache-Control"))
	// Output: 303 /home no-store
}

// Mounting the session endpoints: each answers 405 itself to a wrong
// method, so it is mounted for every method (All).
func ExampleHandler() {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.All("/auth/refresh", sessionfiber.Handler(refresh))
	app.All("/auth/logout", sessionfiber.Handler(logout))
	app.All("/auth/sessions", sessionfiber.Handler(sessions))
	app.All("/auth/sessions/revoke", sessionfiber.Handler(revoke))

	res, _ := app.Test(httptest.NewRequest("POST", "/auth/logout", nil))
	fmt.Println(res.StatusCode)
	// Output: 204
}
