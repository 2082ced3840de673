package sessionguard

import (
	"net/http"
	"net/textproto"
)

// Request is the read-only view of an incoming request that the verifier
// needs. It is deliberately tiny so that every framework can provide it
// without copying the request: the net/http view ([HTTPRequest]) wraps
// *http.Request, the Fiber adapter reads fasthttp's buffers directly, and
// [MapRequest] is an in-memory view for tests.
//
// Implementations must not parse or normalise values: the verifier does all
// header and cookie parsing itself, so that every framework behaves the same.
// The strings returned need only stay valid and unchanged until
// [Guard.Check] returns: the core copies everything a [Session] keeps (the
// token; claims are decoded into memory of its own), so a view over a
// framework's reused buffers (fasthttp) need not copy.
type Request interface {
	// Method is the request method, e.g. "GET".
	Method() string
	// Host is the request's Host (the :authority for HTTP/2), as net/http's
	// Request.Host reports it.
	Host() string
	// Values returns every field value of the named header, in the order the
	// fields arrived, or nil. name is in canonical form ("Authorization",
	// "Cookie", "Origin", "Sec-Fetch-Site").
	Values(name string) []string
}

// HTTPRequest adapts *http.Request to [Request] without copying anything.
type HTTPRequest struct{ R *http.Request }

// Method implements [Request].
func (h HTTPRequest) Method() string { return h.R.Method }

// Host implements [Request].
func (h HTTPRequest) Host() string { return h.R.Host }

// Values implements [Request]. Header names are canonicalised by net/http,
// so the map is indexed directly.
func (h HTTPRequest) Values(name string) []string { return h.R.Header[name] }

// MapRequest is an in-memory [Request] for tests and for callers that hold
// request data outside net/http (message queues, WebSocket upgrades).
type MapRequest struct {
	// RequestMethod defaults to GET when empty.
	RequestMethod string
	// RequestHost is the Host header.
	RequestHost string
	// Header holds field values; names are canonicalised on lookup.
	Header map[string][]string
}

// Method implements [Request].
func (m MapRequest) Method() string {
	if m.RequestMethod == "" {
		return http.MethodGet
	}
	return m.RequestMethod
}

// Host implements [Request].
func (m MapRequest) Host() string { return m.RequestHost }

// Values implements [Request].
func (m MapRequest) Values(name string) []string {
	if v, ok := m.Header[name]; ok {
		return v
	}
	for k, v := range m.Header {
		if textproto.CanonicalMIMEHeaderKey(k) == name {
			return v
		}
	}
	return nil
}
