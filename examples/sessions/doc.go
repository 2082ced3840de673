// Package sessions shows the issuing side wired into each framework: a
// login handler that starts a session (sessionissuer.Mount.Create and the
// adapter's Attach), the session endpoints mounted with the adapter's
// Handler, a route behind the session middleware, and a payload update
// written back the way the request's token came. The code is in the Example
// functions of this module's tests (the adapter READMEs' snippets show their
// framework-only parts; see docs/http.md).
package sessions
