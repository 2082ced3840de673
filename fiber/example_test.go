package sessionfiber_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
)

// show sends req to app and prints status and body.
func show(app *fiber.App, req *http.Request, headers ...string) {
	resp, err := app.Test(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(resp.StatusCode)
	for _, h := range headers {
		fmt.Print(" ", resp.Header.Get(h))
	}
	fmt.Println("", string(body))
}

func Example() {
	// In production: sessionguard.RemoteJWKS("https://auth.example.com/.well-known/jwks.json").
	key := sgtest.NewKey("ES256", "key-1")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		panic(err)
	}
	defer v.Close()

	requireSession, err := sessionfiber.Required(v)
	if err != nil {
		panic(err)
	}
	// Room for an 8 KiB token in a header and a cookie (Fiber's default is 4 KiB).
	app := fiber.New(fiber.Config{ReadBufferSize: 16 << 10})
	app.Get("/me", requireSession, func(c *fiber.Ctx) error {
		s, _ := sessionfiber.FromContext(c)
		return c.SendString(fmt.Sprintf("hello %s (token from the %s)", s.Subject(), s.Source()))
	})

	token := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", 5*time.Minute))
	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	show(app, req)

	show(app, httptest.NewRequest("GET", "/me", nil), "WWW-Authenticate")
	// Output:
	// 200 hello user-42 (token from the header)
	// 401 Bearer realm="api" {"error":"UNAUTHORISED","message":"A valid session is required."}
}

func ExampleOptional() {
	key := sgtest.NewKey("EdDSA", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()

	optional, _ := sessionfiber.Optional(v, sessionguard.WithTransfer(sessionguard.TransferCookie))
	app := fiber.New()
	app.Get("/feed", optional, func(c *fiber.Ctx) error {
		// Code below the handler reads the session from the context.Context.
		if s, ok := sessionguard.FromContext(c.UserContext()); ok {
			return c.SendString("signed in as " + s.Subject())
		}
		return c.SendString("anonymous")
	})

	show(app, httptest.NewRequest("GET", "/feed", nil))

	expired := key.Mint(sgtest.Claims("https://auth.example.com", "user-42", -time.Minute))
	req := httptest.NewRequest("GET", "/feed", nil)
	req.AddCookie(&http.Cookie{Name: "access_token", Value: expired})
	show(app, req)
	// Output:
	// 200 anonymous
	// 401 {"error":"TRY_REFRESH_TOKEN","message":"The session token is expired or invalid; refresh the session and retry."}
}

func ExampleWithNext() {
	key := sgtest.NewKey("ES256", "key-1")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	defer v.Close()

	// Protect the whole API except its health check.
	requireSession, err := sessionfiber.Required(v, sessionfiber.WithNext(func(c *fiber.Ctx) bool {
		return c.Path() == "/healthz"
	}))
	if err != nil {
		panic(err)
	}
	app := fiber.New()
	app.Use(requireSession)
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/orders", func(c *fiber.Ctx) error { return c.SendString("orders") })

	show(app, httptest.NewRequest("GET", "/healthz", nil))
	show(app, httptest.NewRequest("GET", "/orders", nil))
	// Output:
	// 200 ok
	// 401 {"error":"UNAUTHORISED","message":"A valid session is required."}
}

// The README's usage: run and newApp are compiled here, and Example_readme
// runs newApp (run itself would listen on a port).
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

	app, err := newApp(v)
	if err != nil {
		return err
	}
	return app.Listen("127.0.0.1:8080")
}

func newApp(v *sessionguard.Verifier) (*fiber.App, error) {
	requireSession, err := sessionfiber.Required(v)
	if err != nil {
		return nil, err
	}
	optionalSession, err := sessionfiber.Optional(v)
	if err != nil {
		return nil, err
	}

	// 16 KiB: room for an 8 KiB token in a header and a cookie (see below).
	app := fiber.New(fiber.Config{ReadBufferSize: 16 << 10})
	app.Get("/me", requireSession, me)       // one route
	api := app.Group("/api", requireSession) // or a group (see the notes below)
	api.Get("/orders", me)
	app.Get("/feed", optionalSession, me)
	return app, nil
}

func me(c *fiber.Ctx) error {
	s, ok := sessionfiber.FromContext(c)
	if !ok {
		return c.JSON(fiber.Map{"sub": nil}) // only on optional or skipped routes
	}
	return c.JSON(fiber.Map{"sub": s.Subject(), "source": s.Source().String()})
}

func Example_readme() {
	key := sgtest.NewKey("ES256", "key-1")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://auth.example.com",
		sessionguard.StaticJWKS(sgtest.JWKS(key))))
	if err != nil {
		panic(err)
	}
	defer v.Close()
	app, err := newApp(v)
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
		fmt.Print(tc.path, " ")
		show(app, req)
	}
	// Output:
	// /me 200 {"source":"header","sub":"user-42"}
	// /api/orders 401 {"error":"UNAUTHORISED","message":"A valid session is required."}
	// /feed 200 {"sub":null}
}

// A Fiber app that accepts and refuses header blocks exactly as a net/http
// server with MaxHeaderBytes: 64 << 10 does (see the README).
func ExampleConfig_headerSize() {
	app := fiber.New(fiber.Config{
		ReadBufferSize: 64<<10 + 4096, // = net/http with MaxHeaderBytes: 64 << 10
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			var fe *fiber.Error
			if errors.As(err, &fe) && fe.Code == fiber.StatusRequestHeaderFieldsTooLarge {
				c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
				c.Set(fiber.HeaderConnection, "close")
				return c.Status(fiber.StatusRequestHeaderFieldsTooLarge).SendString("431 Request Header Fields Too Large")
			}
			return fiber.DefaultErrorHandler(c, err)
		},
		DisableStartupMessage: true,
	})
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = app.Listener(ln) }()
	defer func() { _ = app.Shutdown() }()

	// A real connection: app.Test reports an oversized header as an error
	// instead of answering it.
	for _, n := range []int{60 << 10, 100 << 10} {
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
		req.Header.Set("X-Padding", strings.Repeat("p", n))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 200 ok
	// 431 431 Request Header Fields Too Large
}
