package main

import (
	"context"
	"net"

	"github.com/gofiber/fiber/v2"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
)

type fiberServer struct{ app *fiber.App }

func (s fiberServer) Serve(ln net.Listener) error        { return s.app.Listener(ln) }
func (s fiberServer) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

func mountFiber(a app) (server, error) {
	gs := a.guards
	// Fiber's default 4 KiB read buffer answers 431 to large tokens.
	app := fiber.New(fiber.Config{ReadBufferSize: maxHeaderBytes, DisableStartupMessage: true})
	for path, e := range a.endpoints {
		app.All(path, sessionfiber.Handler(e))
	}
	health := func(c *fiber.Ctx) error { return c.SendString(conformance.HealthBody) }
	for _, m := range conformance.Methods {
		app.Add(m, "/healthz", health)
	}
	for path, g := range gs {
		mw := sessionfiber.Middleware(g)
		for _, m := range conformance.Methods {
			app.Add(m, path, mw, func(c *fiber.Ctx) error {
				s, _ := sessionfiber.FromContext(c)
				c.Set(fiber.HeaderContentType, "application/json")
				return c.Send(conformance.SuccessBody(s))
			})
		}
	}
	return fiberServer{app}, nil
}
