package conformance

import (
	"fmt"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Expected responses. A failure's status, body and headers come from the
// verifier's default renderer, so every case also pins the wire format of
// docs/semantics.md §5 to be identical through every adapter.

// ok is a success: the session of subject s read from src ("header" or
// "cookie"), or no session when s is "".
func (f *fixture) ok(s string, src string) Want {
	var body []byte
	if s == "" {
		body = []byte(`{"session":null}`)
	} else {
		body = []byte(fmt.Sprintf(`{"session":{"sub":%q,"source":%q}}`, s, src))
	}
	return Want{Status: 200, Body: body, Header: map[string]string{"Www-Authenticate": ""}}
}

// fail is the default response of v for e.
func fail(v *sessionguard.Verifier, e *sessionguard.Error) Want {
	r := v.DefaultResponse(e)
	w := Want{Status: r.Status, Body: r.Body, Header: map[string]string{
		"Content-Type":     r.Header.Get("Content-Type"),
		"Www-Authenticate": r.Header.Get("Www-Authenticate"),
		"Retry-After":      r.Header.Get("Retry-After"),
	}}
	return w
}

// The errors of the outcome table (docs/semantics.md §4).
var (
	eNoToken  = &sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrNoToken}
	eRejected = &sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrMissingSubject, TokenRejected: true}
	eExpired  = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrTokenExpired, TokenRejected: true}
	eNotYet   = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrTokenNotYetValid, TokenRejected: true}
	eInvalid  = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrSignatureInvalid, TokenRejected: true}
	eMarker   = &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrRefreshMarker}
	eCross    = &sessionguard.Error{Code: sessionguard.CodeCrossOriginRequest, Reason: sessionguard.ErrCrossOrigin}
	eDup      = &sessionguard.Error{Code: sessionguard.CodeInvalidRequest, Reason: sessionguard.ErrDuplicateAuthorization}
	eKeys     = &sessionguard.Error{Code: sessionguard.CodeKeysUnavailable, Reason: sessionguard.ErrKeySetNotLoaded, TokenRejected: true}
	eClaims   = &sessionguard.Error{Code: sessionguard.CodeInvalidClaims, Reason: sessionguard.ErrClaimValidation, TokenRejected: true,
		Claims: []sessionguard.ClaimFailure{{ID: "roles", Reason: "required value is missing"}}}
)
