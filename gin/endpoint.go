package sessiongin

import (
	"github.com/gin-gonic/gin"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Handler serves e (the issuer's refresh, logout, own-sessions or JWKS
// endpoint, or any [sessionguard.Endpoint]). Mount it for every method
// (router.Any): the endpoint itself answers 405 where it must.
func Handler(e sessionguard.Endpoint) gin.HandlerFunc {
	return func(c *gin.Context) {
		e.ServeEndpoint(c.Request.Context(), request{c}).Write(c.Writer)
		c.Abort()
	}
}

// Attach adds the header fields of resp (each Set-Cookie, the token headers,
// Cache-Control) to c's response, for a handler that answers with its own
// status and body (a login handler). Call it before writing the body.
func Attach(c *gin.Context, resp sessionguard.Response) { resp.AddTo(c.Writer.Header()) }

// ClientAddr implements sessionguard.ClientAddresser: the TCP peer, never a
// proxy header (Gin's ClientIP trusts proxies by configuration; the core
// must see the same address in every framework).
func (r request) ClientAddr() string { return r.c.Request.RemoteAddr }

// ReadBody implements sessionguard.BodyReader.
func (r request) ReadBody(max int) ([]byte, error) {
	return sessionguard.HTTPRequest{R: r.c.Request}.ReadBody(max)
}

// View is the core's view of c's request, for calls that take a
// sessionguard.Request in an application's own handler (an issuer Mount's
// Create reads the Session-Transfer header, the User-Agent and the peer
// address through it). The peer is the TCP peer, as in every adapter.
func View(c *gin.Context) sessionguard.Request { return request{c} }
