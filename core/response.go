package sessionguard

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Response is an outcome rendered as plain data, so every adapter writes the
// same bytes. Header and Body of the default responses are shared between
// requests: read them, never modify them.
type Response struct {
	Status int
	Header http.Header
	Body   []byte

	fields []HeaderField // Header in a fixed order, precomputed for the defaults
}

// HeaderField is one response header field.
type HeaderField struct{ Name, Value string }

// Fields returns the header fields sorted by name (values of one name in
// their order). For the default responses the list is precomputed, so
// adapters that write headers one by one (fasthttp) need not iterate a map.
func (r Response) Fields() []HeaderField {
	if r.fields != nil {
		return r.fields
	}
	return fieldsOf(r.Header)
}

func fieldsOf(h http.Header) []HeaderField {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	out := []HeaderField{}
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, HeaderField{k, v})
		}
	}
	return out
}

// Renderer turns an outcome into a response. Install one with [WithRenderer].
// It receives a copy of the error, its own to keep or change.
// Set Content-Type yourself: frameworks differ in what they add when it is
// missing. A status outside 100–999 is replaced by the default response.
type Renderer func(*Error) Response

// ContentTypeJSON is the Content-Type of every default response.
const ContentTypeJSON = "application/json; charset=utf-8"

// fallbackResponses serve a nil *Guard (fail closed, never panic).
var fallbackResponses = newResponses(DefaultRealm, DefaultRetryAfter)

// responses holds the prebuilt default responses.
type responses struct {
	realm                string
	unauthorised         Response // nothing sent
	unauthorisedRejected Response // row 4
	refreshExpired       Response
	refreshNotYetValid   Response
	refreshInvalid       Response
	refreshMarker        Response
	invalidClaimsHeader  http.Header
	invalidClaimsFields  []HeaderField
	crossOrigin          Response
	invalidRequest       Response
	keysUnavailable      Response
}

type body struct {
	Error   Code           `json:"error"`
	Message string         `json:"message"`
	Claims  []ClaimFailure `json:"claims,omitempty"`
}

// Messages of the default bodies. They are fixed texts: no token, kid or
// library error ever reaches a body.
const (
	msgUnauthorised    = "A valid session is required."
	msgTryRefresh      = "The session token is expired or invalid; refresh the session and retry."
	msgInvalidClaims   = "The session lacks a required claim."
	msgCrossOrigin     = "Cross-origin request refused."
	msgInvalidRequest  = "The request is ambiguous: send exactly one Authorization header."
	msgKeysUnavailable = "Session verification is temporarily unavailable."
)

func newResponses(realm string, retryAfter time.Duration) responses {
	bearer := `Bearer realm="` + realm + `"`
	invalid := func(desc string) string {
		return bearer + `, error="invalid_token", error_description="` + desc + `"`
	}
	mk := func(status int, code Code, msg, wwwAuth string) Response {
		h := http.Header{"Content-Type": {ContentTypeJSON}}
		if wwwAuth != "" {
			h["Www-Authenticate"] = []string{wwwAuth}
		}
		b, _ := json.Marshal(body{Error: code, Message: msg})
		return Response{Status: status, Header: h, Body: b, fields: fieldsOf(h)}
	}
	r := responses{realm: realm}
	r.unauthorised = mk(http.StatusUnauthorized, CodeUnauthorised, msgUnauthorised, bearer)
	r.unauthorisedRejected = mk(http.StatusUnauthorized, CodeUnauthorised, msgUnauthorised,
		invalid("The access token was rejected"))
	r.refreshExpired = mk(http.StatusUnauthorized, CodeTryRefreshToken, msgTryRefresh,
		invalid("The access token expired"))
	r.refreshNotYetValid = mk(http.StatusUnauthorized, CodeTryRefreshToken, msgTryRefresh,
		invalid("The access token is not yet valid"))
	r.refreshInvalid = mk(http.StatusUnauthorized, CodeTryRefreshToken, msgTryRefresh,
		invalid("The access token could not be verified"))
	r.refreshMarker = mk(http.StatusUnauthorized, CodeTryRefreshToken, msgTryRefresh,
		invalid("No access token was sent but a session may exist"))
	r.invalidClaimsHeader = http.Header{
		"Content-Type":     {ContentTypeJSON},
		"Www-Authenticate": {bearer + `, error="insufficient_scope"`},
	}
	r.crossOrigin = mk(http.StatusForbidden, CodeCrossOriginRequest, msgCrossOrigin, "")
	r.invalidRequest = mk(http.StatusBadRequest, CodeInvalidRequest, msgInvalidRequest,
		bearer+`, error="invalid_request"`)
	r.keysUnavailable = mk(http.StatusServiceUnavailable, CodeKeysUnavailable, msgKeysUnavailable, "")
	r.keysUnavailable.Header["Retry-After"] = []string{strconv.Itoa(int(retryAfter / time.Second))}
	r.keysUnavailable.fields = fieldsOf(r.keysUnavailable.Header)
	r.invalidClaimsFields = fieldsOf(r.invalidClaimsHeader)
	return r
}

// DefaultResponse renders e as docs/semantics.md §5 prescribes: status,
// WWW-Authenticate (RFC 6750) and a JSON body {"error":CODE,"message":...}.
// Only INVALID_CLAIMS allocates (its body lists the failed validators).
func (v *Verifier) DefaultResponse(e *Error) Response {
	r := &v.responses
	switch e.Code {
	case CodeUnauthorised:
		if e.TokenRejected {
			return r.unauthorisedRejected
		}
		return r.unauthorised
	case CodeTryRefreshToken:
		switch e.Reason {
		case ErrTokenExpired:
			return r.refreshExpired
		case ErrTokenNotYetValid:
			return r.refreshNotYetValid
		case ErrRefreshMarker:
			return r.refreshMarker
		}
		return r.refreshInvalid
	case CodeInvalidClaims:
		claims := e.Claims
		if claims == nil {
			claims = []ClaimFailure{}
		}
		b, _ := json.Marshal(struct {
			Error   Code           `json:"error"`
			Message string         `json:"message"`
			Claims  []ClaimFailure `json:"claims"`
		}{CodeInvalidClaims, msgInvalidClaims, claims})
		return Response{Status: http.StatusForbidden, Header: r.invalidClaimsHeader, Body: b, fields: r.invalidClaimsFields}
	case CodeCrossOriginRequest:
		return r.crossOrigin
	case CodeInvalidRequest:
		return r.invalidRequest
	case CodeKeysUnavailable:
		return r.keysUnavailable
	}
	return r.unauthorised
}

// Write writes the response to w (for net/http based code). Header values
// are copied (in one allocation), never aliased: the default responses are
// shared between requests.
func (r Response) Write(w http.ResponseWriter) {
	h := w.Header()
	fields := r.Fields()
	vals := make([]string, len(fields))
	for i := 0; i < len(fields); {
		j := i
		for j < len(fields) && fields[j].Name == fields[i].Name {
			vals[j] = fields[j].Value
			j++
		}
		h[fields[i].Name] = vals[i:j:j]
		i = j
	}
	w.WriteHeader(r.Status)
	_, _ = w.Write(r.Body)
}
