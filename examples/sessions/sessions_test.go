package sessions_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionecho "github.com/sessionguard/sessionguard/echo"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
	sessiongin "github.com/sessionguard/sessionguard/gin"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

// setup is the part every framework shares: an issuer over a store, a
// verifier that agrees with it, and the mount of the session endpoints.
func setup() (*sessionissuer.Issuer, *sessionguard.Verifier, *sessionissuer.Mount) {
	// In production: a durable store (store/sqlite, store/postgres,
	// store/redis) and a master key (sessionissuer.WithMasterKey).
	iss, err := sessionissuer.New(sessionissuer.NewMemoryStore(),
		sessionissuer.WithIssuer("https://api.example.com"))
	if err != nil {
		panic(err)
	}
	// Wait for the signing keys, so the verifier's first load finds them.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := iss.Ready(ctx); err != nil {
		panic(err)
	}
	v, err := sessionguard.New(iss.VerifierOptions()...)
	if err != nil {
		panic(err)
	}
	if err := v.Ready(ctx); err != nil {
		panic(err)
	}
	m, err := iss.Mount(v) // base path /auth, transfer any, Secure cookies
	if err != nil {
		panic(err)
	}
	return iss, v, m
}

// flow logs in (header mode), refreshes, and calls /me with the new token.
func flow(h http.Handler) {
	login := httptest.NewRequest("POST", "/login", strings.NewReader(""))
	login.Header.Set("Session-Transfer", "header")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, login)
	fmt.Println("login", rec.Code, rec.Header().Get("Access-Control-Expose-Headers"))

	refresh := httptest.NewRequest("POST", "/auth/refresh", nil)
	refresh.Header.Set("Authorization", "Bearer "+rec.Header().Get("Refresh-Token"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, refresh)
	fmt.Println("refresh", rec.Code)

	me := httptest.NewRequest("GET", "/me", nil)
	me.Header.Set("Authorization", "Bearer "+rec.Header().Get("Access-Token"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, me)
	fmt.Println("me", rec.Code, rec.Body.String())
}

func Example_nethttp() {
	iss, v, m := setup()
	defer iss.Close()
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		user := "user-42" // authenticate the request first
		resp := m.Create(r.Context(), sessionhttp.View(r), user, map[string]any{"plan": "pro"}, "")
		if resp.Status != http.StatusOK {
			resp.Write(w)
			return
		}
		sessionhttp.Attach(w, resp)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/auth/refresh", sessionhttp.Handler(m.Refresh()))
	mux.Handle("/auth/logout", sessionhttp.Handler(m.Logout()))
	mux.Handle("/auth/sessions", sessionhttp.Handler(m.Sessions()))
	mux.Handle("/auth/sessions/revoke", sessionhttp.Handler(m.RevokeSession()))
	mux.Handle("/.well-known/jwks.json", sessionhttp.Handler(iss.JWKSEndpoint(v)))

	requireSession, err := sessionhttp.Required(v)
	if err != nil {
		panic(err)
	}
	mux.Handle("/me", requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessionhttp.FromRequest(r)
		fmt.Fprintf(w, "hello %s", s.Subject())
	})))
	mux.Handle("POST /settings", requireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessionhttp.FromRequest(r)
		// The new access token goes back the way s's token came: a cookie
		// for a cookie, the Access-Token header for the header.
		m.UpdatePayload(r.Context(), s, map[string]any{"plan": "team"}).Write(w)
	})))

	flow(mux)
	// Output:
	// login 204 Access-Token, Refresh-Token
	// refresh 200
	// me 200 hello user-42
}

func Example_gin() {
	iss, v, m := setup()
	defer iss.Close()
	defer v.Close()

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		user := "user-42" // authenticate the request first
		resp := m.Create(c.Request.Context(), sessiongin.View(c), user, nil, "")
		if resp.Status != http.StatusOK {
			resp.Write(c.Writer)
			return
		}
		sessiongin.Attach(c, resp)
		c.Status(http.StatusNoContent)
	})
	r.Any("/auth/refresh", sessiongin.Handler(m.Refresh()))
	r.Any("/auth/logout", sessiongin.Handler(m.Logout()))
	r.Any("/auth/sessions", sessiongin.Handler(m.Sessions()))
	r.Any("/auth/sessions/revoke", sessiongin.Handler(m.RevokeSession()))

	requireSession, err := sessiongin.Required(v)
	if err != nil {
		panic(err)
	}
	r.GET("/me", requireSession, func(c *gin.Context) {
		s, _ := sessiongin.FromContext(c)
		c.String(http.StatusOK, "hello %s", s.Subject())
	})

	flow(r)
	// Output:
	// login 204 Access-Token, Refresh-Token
	// refresh 200
	// me 200 hello user-42
}

func Example_echo() {
	iss, v, m := setup()
	defer iss.Close()
	defer v.Close()

	e := echo.New()
	e.POST("/login", func(c echo.Context) error {
		user := "user-42" // authenticate the request first
		resp := m.Create(c.Request().Context(), sessionecho.View(c), user, nil, "")
		if resp.Status != http.StatusOK {
			resp.Write(c.Response())
			return nil
		}
		sessionecho.Attach(c, resp)
		return c.NoContent(http.StatusNoContent)
	})
	e.Any("/auth/refresh", sessionecho.Handler(m.Refresh()))
	e.Any("/auth/logout", sessionecho.Handler(m.Logout()))
	e.Any("/auth/sessions", sessionecho.Handler(m.Sessions()))
	e.Any("/auth/sessions/revoke", sessionecho.Handler(m.RevokeSession()))

	requireSession, err := sessionecho.Required(v)
	if err != nil {
		panic(err)
	}
	e.GET("/me", func(c echo.Context) error {
		s, _ := sessionecho.FromContext(c)
		return c.String(http.StatusOK, "hello "+s.Subject())
	}, requireSession)

	flow(e)
	// Output:
	// login 204 Access-Token, Refresh-Token
	// refresh 200
	// me 200 hello user-42
}

func Example_fiber() {
	iss, v, m := setup()
	defer iss.Close()
	defer v.Close()

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/login", func(c *fiber.Ctx) error {
		user := "user-42" // authenticate the request first
		resp := m.Create(c.UserContext(), sessionfiber.View(c), user, nil, "")
		if resp.Status != http.StatusOK {
			return sessionfiber.Write(c, resp)
		}
		sessionfiber.Attach(c, resp)
		return c.SendStatus(http.StatusNoContent)
	})
	app.All("/auth/refresh", sessionfiber.Handler(m.Refresh()))
	app.All("/auth/logout", sessionfiber.Handler(m.Logout()))
	app.All("/auth/sessions", sessionfiber.Handler(m.Sessions()))
	app.All("/auth/sessions/revoke", sessionfiber.Handler(m.RevokeSession()))

	requireSession, err := sessionfiber.Required(v)
	if err != nil {
		panic(err)
	}
	app.Get("/me", requireSession, func(c *fiber.Ctx) error {
		s, _ := sessionfiber.FromContext(c)
		return c.SendString("hello " + s.Subject())
	})

	flow(fiberHandler{app})
	// Output:
	// login 204 Access-Token, Refresh-Token
	// refresh 200
	// me 200 hello user-42
}

// fiberHandler runs a Fiber app for flow through app.Test.
type fiberHandler struct{ app *fiber.App }

func (f fiberHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, err := f.app.Test(r, int(5*time.Second/time.Millisecond))
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	defer res.Body.Close()
	for k, vs := range res.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}
