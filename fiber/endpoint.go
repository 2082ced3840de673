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
	// fasthttp keeps each added Set-Cookie value as written (several with
	// one name included), so the lines arrive byte for byte as the core
	// rendered them.
	h := &c.Response().Header
	for _, f := range resp.AttachFields() {
		h.Add(f.Name, f.Value)
	}
}

// ClientAddr implements sessionguard.ClientAddresser: the TCP peer, never a
// proxy header.
func (r request) ClientAddr() string { return r.c.Context().RemoteAddr().String() }

// ReadBody implements sessionguard.BodyReader over the body Fiber already
// read (bounded by its BodyLimit); the bytes are copied because fasthttp
// reuses them. The raw body is used, as net/http sees it: Fiber's c.Body()
// would decode a Content-Encoding, which no other framework does.
func (r request) ReadBody(max int) ([]byte, error) {
	b := r.c.Request().Body()
	if len(b) > max {
		return nil, sessionguard.ErrBodyTooLarge
	}
	return append([]byte(nil), b...), nil
}

// View is the core's view of c's request, for calls that take a
// sessionguard.Request in an application's own handler (an issuer Mount's
// Create reads the Session-Transfer header, the User-Agent and the peer
// address through it). It borrows fasthttp's buffers: use it only within
// the handler, and let nothing keep its strings.
func View(c *fiber.Ctx) sessionguard.Request { return request{c} }

// Write answers c with resp (status, every header field, body), as
// [Handler] does; for an application handler that serves a response the
// issuer rendered (a refused login). It returns nil, so Fiber's ErrorHandler
// never rewrites the answer.
func Write(c *fiber.Ctx, resp sessionguard.Response) error {
	render(c, resp)
	return nil
}
