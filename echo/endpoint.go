package sessionecho

import (
	"github.com/labstack/echo/v4"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Handler serves e (the issuer's refresh, logout, own-sessions or JWKS
// endpoint, or any [sessionguard.Endpoint]). Mount it for every method
// (e.Any): the endpoint itself answers 405 where it must. It always returns
// nil: the answer is written, so Echo's HTTPErrorHandler never rewrites it.
func Handler(e sessionguard.Endpoint) echo.HandlerFunc {
	return func(c echo.Context) error {
		e.ServeEndpoint(c.Request().Context(), view{c}).Write(c.Response())
		return nil
	}
}

// Attach adds the header fields of resp (each Set-Cookie, the token headers,
// Cache-Control) to c's response, for a handler that answers with its own
// status and body (a login handler). Call it before writing the body.
func Attach(c echo.Context, resp sessionguard.Response) { resp.AddTo(c.Response().Header()) }

// ClientAddr implements sessionguard.ClientAddresser: the TCP peer, never a
// proxy header.
func (v view) ClientAddr() string { return v.c.Request().RemoteAddr }

// ReadBody implements sessionguard.BodyReader.
func (v view) ReadBody(max int) ([]byte, error) {
	return sessionguard.HTTPRequest{R: v.c.Request()}.ReadBody(max)
}

// View is the core's view of c's request, for calls that take a
// sessionguard.Request in an application's own handler (an issuer Mount's
// Create reads the Session-Transfer header, the User-Agent and the peer
// address through it).
func View(c echo.Context) sessionguard.Request { return view{c} }
