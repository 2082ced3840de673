package sessionhttp

import (
	"net/http"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Handler serves e (the issuer's refresh, logout, own-sessions or JWKS
// endpoint, or any [sessionguard.Endpoint]) for every method: the endpoint
// itself answers 405 where it must. The request's context (with the session
// a middleware in front stored, if any) is passed on.
func Handler(e sessionguard.Endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.ServeEndpoint(r.Context(), sessionguard.HTTPRequest{R: r}).Write(w)
	})
}

// Attach adds the header fields of resp (each Set-Cookie, the token headers,
// Cache-Control) to w without writing anything else, for a handler that
// answers with its own status and body — a login handler that started a
// session, or one that updated the session's payload. Call it before
// w.WriteHeader.
func Attach(w http.ResponseWriter, resp sessionguard.Response) { resp.AddTo(w.Header()) }

// View is the core's view of r, for calls that take a sessionguard.Request
// in an application's own handler (an issuer Mount's Create reads the
// Session-Transfer header, the User-Agent and the peer address through it).
func View(r *http.Request) sessionguard.Request { return sessionguard.HTTPRequest{R: r} }
