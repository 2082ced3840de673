package sessionguard

import (
	"encoding/json"
	"net/http"
)

// What endpoints built on the core (the issuer's refresh, logout and
// own-sessions endpoints) need from it, so that they never parse a header or
// a cookie themselves: one cookie reading, one Authorization reading and one
// cross-origin check for every module (docs/semantics.md §2, §6), and error
// responses in the wire format of docs/semantics.md §5.

// CookieValues appends to dst the values of the cookie name, in request
// order, at most 4 occurrences, read exactly as the access cookie is read
// (docs/semantics.md §2): raw, no URL-unescaping, one pair of surrounding
// double quotes removed. Occurrences of other names are skipped. An empty
// name yields dst unchanged.
func CookieValues(r Request, name string, dst []string) []string {
	if name == "" || r == nil {
		return dst
	}
	n := 0
	for _, line := range r.Values("Cookie") {
		for len(line) > 0 {
			var pair string
			pair, line, _ = cutByte(line, ';')
			k, val, ok := cutByte(trimOWS(pair), '=')
			if !ok || k != name {
				continue
			}
			if n == maxCookieOccurrence {
				return dst
			}
			n++
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			dst = append(dst, val)
		}
	}
	return dst
}

// BearerToken reads the Authorization header as the verifier does
// (docs/semantics.md §2): fields is how many Authorization fields r has
// (more than one is INVALID_REQUEST, whatever they hold); when there is
// exactly one and its scheme is Bearer (case-insensitive, then one or more
// spaces), cred is its credentials and ok is true. The credentials are not
// classified: the caller decides what shape it accepts.
func BearerToken(r Request) (cred string, fields int, ok bool) {
	if r == nil {
		return "", 0, false
	}
	authz := r.Values("Authorization")
	if len(authz) != 1 {
		return "", len(authz), false
	}
	cred, ok = bearerCredentials(authz[0])
	return cred, 1, ok
}

// CrossOriginAllowed reports whether r may use a cookie-carried credential:
// the verifier's cross-origin check of docs/semantics.md §6 (safe methods
// always pass; then Sec-Fetch-Site, else Origin against Host; the trusted
// origins of [WithTrustedOrigins] as the exception). Always true with
// [WithoutCrossOriginProtection]. A nil verifier refuses (fails closed).
func (v *Verifier) CrossOriginAllowed(r Request) bool {
	if v == nil || r == nil {
		return false
	}
	return v.cop.allowed(r)
}

// CookieNames returns the access-token cookie names the verifier reads
// ([WithCookie]) and the refresh-marker name ("" without
// [WithRefreshMarker]). The slice is a copy.
func (v *Verifier) CookieNames() (access []string, marker string) {
	return append([]string(nil), v.cookies...), v.marker
}

// Challenge selects the WWW-Authenticate field of [Verifier.ErrorResponse].
type Challenge uint8

// Challenges (RFC 6750 §3), with the verifier's realm.
const (
	// ChallengeNone: no WWW-Authenticate field.
	ChallengeNone Challenge = iota
	// ChallengeBearer: `Bearer realm="<realm>"` (nothing was sent).
	ChallengeBearer
	// ChallengeInvalidToken: `Bearer realm="<realm>", error="invalid_token"`
	// (a credential was sent and judged).
	ChallengeInvalidToken
	// ChallengeInvalidRequest: `Bearer realm="<realm>", error="invalid_request"`.
	ChallengeInvalidRequest
)

// ErrorResponse builds a JSON error response with the body shape,
// Content-Type and WWW-Authenticate forms of the default responses
// (docs/semantics.md §5): status, `{"error":code,"message":message}`,
// Content-Type [ContentTypeJSON], the challenge ch, then the extra fields
// (Allow, Retry-After, Set-Cookie, …) in their order. message must be fixed
// text: never a token, a store's or a library's error text. The response
// is new on every call; the caller may add to its Header.
func (v *Verifier) ErrorResponse(status int, code Code, message string, ch Challenge, extra ...HeaderField) Response {
	realm := DefaultRealm
	if v != nil {
		realm = v.responses.realm
	}
	h := http.Header{"Content-Type": {ContentTypeJSON}}
	bearer := `Bearer realm="` + realm + `"`
	switch ch {
	case ChallengeBearer:
		h["Www-Authenticate"] = []string{bearer}
	case ChallengeInvalidToken:
		h["Www-Authenticate"] = []string{bearer + `, error="invalid_token"`}
	case ChallengeInvalidRequest:
		h["Www-Authenticate"] = []string{bearer + `, error="invalid_request"`}
	}
	for _, f := range extra {
		k := http.CanonicalHeaderKey(f.Name)
		h[k] = append(h[k], f.Value)
	}
	b, _ := json.Marshal(body{Error: code, Message: message})
	return Response{Status: status, Header: h, Body: b}
}

// RetryAfter is the Retry-After value (whole seconds, as text) of the
// verifier's 503 responses ([WithRetryAfter]), for endpoints that answer
// 503 themselves.
func (v *Verifier) RetryAfter() string {
	if v == nil {
		return fallbackResponses.keysUnavailable.Header.Get("Retry-After")
	}
	return v.responses.keysUnavailable.Header.Get("Retry-After")
}
