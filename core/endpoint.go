package sessionguard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
)

// Endpoint is a request handler that lives in the core or in a module built
// on it (the issuer's refresh, logout, own-sessions and JWKS endpoints). It
// reads the request only through the neutral view and answers with a plain
// [Response] (status, every header field including each Set-Cookie, body),
// so every adapter serves it byte for byte alike: sessionhttp.Handler,
// sessiongin.Handler, sessionecho.Handler and sessionfiber.Handler do nothing
// but translate.
//
// ServeEndpoint must not retain r or any string read from it after it
// returns (a Fiber view borrows fasthttp's buffers).
type Endpoint interface {
	ServeEndpoint(ctx context.Context, r Request) Response
}

// EndpointFunc adapts a function to [Endpoint].
type EndpointFunc func(ctx context.Context, r Request) Response

// ServeEndpoint implements [Endpoint].
func (f EndpointFunc) ServeEndpoint(ctx context.Context, r Request) Response { return f(ctx, r) }

// Optional capabilities of a [Request] view. The view interface itself stays
// Method, Host and Values; what only some callers need is found by a type
// assertion (or through [ClientAddr] and [ReadBody]), so a view that lacks it
// still works and answers with a precise outcome.

// ClientAddresser is a [Request] that knows the address of the peer that
// sent it (the TCP peer as the server saw it, before any proxy header is
// trusted).
type ClientAddresser interface {
	// ClientAddr is the peer's "host:port" or bare host, as
	// net/http.Request.RemoteAddr reports it.
	ClientAddr() string
}

// BodyReader is a [Request] whose body can be read, at most max bytes.
type BodyReader interface {
	// ReadBody returns the whole body, or [ErrBodyTooLarge] when it holds
	// more than max bytes. It may be called once per request.
	ReadBody(max int) ([]byte, error)
}

// ErrBodyTooLarge is returned by [BodyReader.ReadBody] for a body over the
// limit.
var ErrBodyTooLarge = errors.New("sessionguard: request body too large")

// errNoBody is returned by [ReadBody] for a view without a body.
var errNoBody = errors.New("sessionguard: request view has no body")

// ClientAddr returns the host part of r's peer address (no port), or "" when
// the view does not know it. Proxy headers (X-Forwarded-For, Forwarded) are
// never trusted here: an application behind a proxy passes the address it
// trusts itself.
func ClientAddr(r Request) string {
	ca, ok := r.(ClientAddresser)
	if !ok {
		return ""
	}
	addr := ca.ClientAddr()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// ReadBody reads at most max bytes of r's body; a view that cannot read a
// body yields an error (never a panic).
func ReadBody(r Request, max int) ([]byte, error) {
	br, ok := r.(BodyReader)
	if !ok {
		return nil, errNoBody
	}
	return br.ReadBody(max)
}

// ClientAddr implements [ClientAddresser].
func (h HTTPRequest) ClientAddr() string { return h.R.RemoteAddr }

// ReadBody implements [BodyReader]: at most max+1 bytes are ever read.
func (h HTTPRequest) ReadBody(max int) ([]byte, error) {
	if h.R.Body == nil || h.R.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(h.R.Body, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > max {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}

// AddTo adds the response's header fields to h without replacing fields h
// already has: this is how an application's own handler (a login handler
// that writes its own body) attaches the Set-Cookie and token headers of a
// created session. Content-Type and Content-Length are left out: they
// describe the response's own body, and the handler writes another. Values
// are copied.
func (r Response) AddTo(h http.Header) {
	for _, f := range r.AttachFields() {
		h[f.Name] = append(h[f.Name], f.Value)
	}
}

// AttachFields are the header fields [Response.AddTo] attaches: every field
// but Content-Type and Content-Length, in [Response.Fields] order. Adapters
// whose framework has no http.Header (Fiber) add these one by one.
func (r Response) AttachFields() []HeaderField {
	all := r.Fields()
	out := make([]HeaderField, 0, len(all))
	for _, f := range all {
		if f.Name != "Content-Type" && f.Name != "Content-Length" {
			out = append(out, f)
		}
	}
	return out
}
