package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"

	sessionecho "github.com/sessionguard/sessionguard/echo"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
	sessiongin "github.com/sessionguard/sessionguard/gin"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

// server is what run needs of a framework: serve a listener, shut down.
type server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

var frameworks = map[string]func(*demo) (server, error){
	"nethttp": netHTTPServer,
	"gin":     ginServer,
	"echo":    echoServer,
	"fiber":   fiberServer,
}

func httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
}

func netHTTPServer(d *demo) (server, error) {
	required, err := sessionhttp.Required(d.v, d.guardOptions()...)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, rt := range d.routes() {
		h := sessionhttp.Handler(rt.ep)
		if rt.guarded {
			h = required(h)
		}
		path := rt.path
		if path == "/" {
			path = "/{$}"
		}
		mux.Handle(path, h)
	}
	return httpServer(withCORS(d.appBase, mux)), nil
}

func ginServer(d *demo) (server, error) {
	required, err := sessiongin.Required(d.v, d.guardOptions()...)
	if err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	for _, rt := range d.routes() {
		if rt.guarded {
			r.Any(rt.path, required, sessiongin.Handler(rt.ep))
		} else {
			r.Any(rt.path, sessiongin.Handler(rt.ep))
		}
	}
	return httpServer(withCORS(d.appBase, r)), nil
}

func echoServer(d *demo) (server, error) {
	required, err := sessionecho.Required(d.v, d.guardOptions()...)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	for _, rt := range d.routes() {
		if rt.guarded {
			e.Any(rt.path, sessionecho.Handler(rt.ep), required)
		} else {
			e.Any(rt.path, sessionecho.Handler(rt.ep))
		}
	}
	return httpServer(withCORS(d.appBase, e)), nil
}

func fiberServer(d *demo) (server, error) {
	required, err := sessionfiber.Required(d.v, d.guardOptions()...)
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ReadBufferSize: 16 << 10})
	app.Use(func(c *fiber.Ctx) error { // CORS first, as docs/cors.md says
		fields, preflight := corsFields(d.appBase, c.Get("Origin"), c.Method(), c.Get("Access-Control-Request-Method"))
		for _, f := range fields {
			c.Set(f.Name, f.Value)
		}
		if preflight {
			return c.SendStatus(http.StatusNoContent)
		}
		return c.Next()
	})
	for _, rt := range d.routes() {
		if rt.guarded {
			app.All(rt.path, required, sessionfiber.Handler(rt.ep))
		} else {
			app.All(rt.path, sessionfiber.Handler(rt.ep))
		}
	}
	return fiberApp{app}, nil
}

type fiberApp struct{ app *fiber.App }

func (f fiberApp) Serve(ln net.Listener) error        { return f.app.Listener(ln) }
func (f fiberApp) Shutdown(ctx context.Context) error { return f.app.ShutdownWithContext(ctx) }
