package sessionguard

import (
	"net/http"
	"slices"
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
	// "Cookie", "Origin", "Sec-Fetch-Site"); the fields must be found
	// whatever the case of their names as sent (field names are
	// case-insensitive), and two spellings of one name are two fields.
	// [FieldValues] does this over a raw header block.
	Values(name string) []string
}

// HTTPRequest adapts *http.Request to [Request] without copying anything.
type HTTPRequest struct{ R *http.Request }

// Method implements [Request].
func (h HTTPRequest) Method() string { return h.R.Method }

// Host implements [Request].
func (h HTTPRequest) Host() string { return h.R.Host }

// Values implements [Request] as http.Header.Values does: the names in an
// http.Header are canonical (net/http's server canonicalises the names it
// receives, whatever their case on the wire, and Header.Set and Add
// canonicalise theirs), so the map is indexed directly. A key written into
// the map in another case is not seen, by net/http's own accessors either;
// use [MapRequest] for header maps of any case.
func (h HTTPRequest) Values(name string) []string { return h.R.Header[name] }

// MapRequest is an in-memory [Request] for tests and for callers that hold
// request data outside net/http (message queues, WebSocket upgrades).
type MapRequest struct {
	// RequestMethod defaults to GET when empty.
	RequestMethod string
	// RequestHost is the Host header.
	RequestHost string
	// Header holds field values. Names are matched case-insensitively, and
	// names differing only in case are one field repeated: their values are
	// concatenated in the byte order of the names (so {"authorization",
	// "Authorization"} is two Authorization fields, INVALID_REQUEST).
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
func (m MapRequest) Values(name string) []string { return headerValues(m.Header, name) }

// headerValues returns the values of every key of h equal to name under
// ASCII case folding (field names are case-insensitive, RFC 9110 §5.1). The
// common case, one key in the exact spelling, returns its slice without
// allocating; case variants are concatenated in the byte order of the keys,
// so the result does not depend on map iteration order.
func headerValues(h map[string][]string, name string) []string {
	exact, hasExact := h[name]
	if len(h) == 1 && hasExact {
		return exact // the only key: no variant to look for
	}
	variants := 0
	for k := range h {
		if len(k) == len(name) && k != name && asciiEqualFold(k, name) {
			variants++
		}
	}
	if variants == 0 {
		if !hasExact {
			return nil
		}
		return exact
	}
	keys := make([]string, 0, variants+1)
	for k := range h {
		if len(k) == len(name) && asciiEqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, h[k]...)
	}
	return out
}

// asciiEqualFold reports whether a and b are equal under ASCII case folding.
// Unlike strings.EqualFold it does not fold non-ASCII runes (the Kelvin
// sign is not a "k" in a field name).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// FieldValues returns the values of every field called name (matched
// case-insensitively) in an HTTP/1.x header block as it was received:
// "Name: value" lines ending in CRLF or LF, without the request line, as
// fasthttp's RequestHeader.RawHeaders returns it. Values are in arrival
// order with surrounding spaces and tabs removed, and point into block.
// A line that starts with a space or tab continues the previous field
// (obsolete line folding, RFC 9112 §5.2): it is joined with one space, as
// net/http does. A line whose name is not followed directly by ":" is
// skipped, never guessed at.
//
// It is for views over frameworks that parse headers themselves (the Fiber
// adapter), so that the verifier reads the fields as sent, whatever the
// framework's normalisation or cookie parsing did to its own copy.
func FieldValues(block, name string) []string {
	var out []string
	matched := false // whether the previous field was ours (for folding)
	for len(block) > 0 {
		var line string
		line, block, _ = cutByte(block, '\n')
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if line == "" {
			break // the end of the header block
		}
		if line[0] == ' ' || line[0] == '\t' {
			if matched {
				out[len(out)-1] = joinFolded(out[len(out)-1], trimOWS(line))
			}
			continue
		}
		k, v, ok := cutByte(line, ':')
		matched = ok && asciiEqualFold(k, name)
		if matched {
			out = append(out, trimOWS(v))
		}
	}
	return out
}

func joinFolded(a, b string) string {
	switch {
	case b == "":
		return a
	case a == "":
		return b
	}
	return a + " " + b
}
