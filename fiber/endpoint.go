package sessionfiber

import (
	"github.com/gofiber/fiber/v2"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Handler serves e (the issuer's refresh, logout, own-sessions or JWKS
// endpoint, or any [sessionguard.Endpoint]). Mount it for every method
// (app.All): the endpoint itself answers 405 where it must. It always returns
// nil, so Fiber's ErrorHandler never rewrites the answer.
func Handler(e sessionguard.Endpoint) fiber.Handler {
	return func(c *fiber.Ctx) error {
		render(c, e.ServeEndpoint(c.UserContext(), request{c}))
		return nil
	}
}

// Attach adds the header fields of resp (each Set-Cookie, the token headers,
// Cache-Control) to c's response, for a handler that answers with its own
// status and body (a login handler). Call it before writing the body.
func Attach(c *fiber.Ctx, resp sessionguard.Response) {
	h := &c.Response().Header
	for _, f := range resp.Fields() {
		h.Add(f.Name, f.Value)
	}
}

// ClientAddr implements sessionguard.ClientAddresser: the TCP peer, never a
// proxy header.
func (r request) ClientAddr() string { return r.c.Context().RemoteAddr().String() }

// ReadBody implements sessionguard.BodyReader over the body Fiber already
// read (bounded by its BodyLimit); the bytes are copied because fasthttp
// reuses them.
func (r request) ReadBody(max int) ([]byte, error) {
	b := r.c.Body()
	if len(b) > max {
		return nil, sessionguard.ErrBodyTooLarge
	}
	return append([]byte(nil), b...), nil
}
