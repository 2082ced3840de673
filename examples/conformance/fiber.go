package main

import (
	"context"
	"errors"
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
	// Fiber's default 4 KiB read buffer answers 431 to large tokens. The
	// buffer bounds the whole header block, so it is set to the block
	// net/http accepts, and the refusal is worded as net/http words it.
	app := fiber.New(fiber.Config{
		ReadBufferSize:        maxHeaderBlock,
		DisableStartupMessage: true,
		ErrorHandler:          fiberErrors,
	})
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

// tooLarge is net/http's answer to an oversized header block (Gin and Echo
// run on net/http and give it too).
const tooLarge = "431 Request Header Fields Too Large"

// fiberErrors answers an oversized header block exactly as net/http does and
// leaves every other error to Fiber's default handler.
func fiberErrors(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) && fe.Code == fiber.StatusRequestHeaderFieldsTooLarge {
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		c.Set(fiber.HeaderConnection, "close")
		return c.Status(fiber.StatusRequestHeaderFieldsTooLarge).SendString(tooLarge)
	}
	return fiber.DefaultErrorHandler(c, err)
}
