package sessionguard

import (
	"errors"
)

// Code is the machine-readable outcome of a request that did not yield a
// session. It is also the "error" member of the default JSON response body.
type Code string

// The outcome codes of docs/semantics.md §4. A request that yields a session, or no
// session on an optional route, has no code.
const (
	// CodeUnauthorised: no usable token on a required route (401), or a
	// verified token whose registered claims are wrong (401, token rejected).
	CodeUnauthorised Code = "UNAUTHORISED"
	// CodeTryRefreshToken: the selected token expired, is not yet valid or
	// does not verify, or only a refresh marker was sent (401). The client
	// should refresh its short-term session and retry.
	CodeTryRefreshToken Code = "TRY_REFRESH_TOKEN"
	// CodeInvalidClaims: the token is valid but an application claim
	// validator failed (403).
	CodeInvalidClaims Code = "INVALID_CLAIMS"
	// CodeCrossOriginRequest: a cookie-carried token on an unsafe,
	// cross-origin request (403).
	CodeCrossOriginRequest Code = "CROSS_ORIGIN_REQUEST"
	// CodeInvalidRequest: the request is ambiguous, e.g. two Authorization
	// header fields (400).
	CodeInvalidRequest Code = "INVALID_REQUEST"
	// CodeKeysUnavailable: the issuer's key set has never been loaded (503).
	CodeKeysUnavailable Code = "KEYS_UNAVAILABLE"
)

// Sentinel errors, one per [Code]. Every [*Error] matches exactly one of them
// with errors.Is.
var (
	ErrUnauthorised       = errors.New("sessionguard: unauthorised")
	ErrTryRefreshToken    = errors.New("sessionguard: try refresh token")
	ErrInvalidClaims      = errors.New("sessionguard: invalid claims")
	ErrCrossOriginRequest = errors.New("sessionguard: cross-origin request")
	ErrInvalidRequest     = errors.New("sessionguard: invalid request")
	ErrKeysUnavailable    = errors.New("sessionguard: keys unavailable")
)

// Reasons: why a request got its code. They are what [*Error] unwraps to, so
// errors.Is(err, ErrTokenExpired) works; they are meant for logs and metrics
// and never appear in a response body.
var (
	ErrNoToken                = errors.New("no token was sent")
	ErrRefreshMarker          = errors.New("no token was sent but the refresh marker was")
	ErrTokenExpired           = errors.New("token expired")
	ErrTokenNotYetValid       = errors.New("token not yet valid (nbf or iat in the future)")
	ErrSignatureInvalid       = errors.New("token signature does not verify")
	ErrUnknownKey             = errors.New("no key of the issuer matches the token's kid")
	ErrAlgorithmMismatch      = errors.New("token alg does not match its key")
	ErrUnsupportedHeader      = errors.New("token header has crit or b64:false")
	ErrMalformedClaims        = errors.New("token payload is malformed or has a registered claim of the wrong type")
	ErrMissingExpiry          = errors.New("token has no exp claim")
	ErrMissingSubject         = errors.New("token has no sub claim, or it is not a non-empty string")
	ErrAudienceMismatch       = errors.New("token audience does not match")
	ErrIssuerMismatch         = errors.New("token issuer does not match")
	ErrLifetimeTooLong        = errors.New("token lifetime exceeds the maximum")
	ErrMissingClaim           = errors.New("a required claim is missing or has the wrong JSON type")
	ErrClaimValidation        = errors.New("a claim validator failed")
	ErrCrossOrigin            = errors.New("cookie token on an unsafe cross-origin request")
	ErrDuplicateAuthorization = errors.New("more than one Authorization header field")
	ErrTokenType              = errors.New("token typ header is not an accepted token type")
	ErrSessionRevoked         = errors.New("the token's session was revoked")
	ErrMissingSessionID       = errors.New("token has no sid claim, so its revocation cannot be checked")
	// ErrKeySetNotLoaded is also matched by the error of [Verifier.Ready]
	// when its context ends before every key set has loaded.
	ErrKeySetNotLoaded = errors.New("the issuer's key set has never been loaded")
)

// ClaimFailure names one failed application claim validator.
type ClaimFailure struct {
	// ID identifies the validator (for the built-ins, the claim name).
	ID string `json:"id"`
	// Reason is the validator's short explanation. Built-in validators never
	// echo claim values into it.
	Reason string `json:"reason"`
}

// Error is the one error type sessionguard returns for a request that did not
// yield a session. Compare with errors.Is against the sentinels (the Code) or
// the reasons, or use errors.As to read the fields, or [CodeOf] for the
// code. Errors without claim failures are shared and must not be modified;
// a [Renderer] receives a copy.
type Error struct {
	// Code is the outcome.
	Code Code
	// Reason is why (one of the Err* reasons above).
	Reason error
	// TokenRejected is true when a token was selected and rejected; it picks
	// between the two UNAUTHORISED responses of docs/semantics.md §5.
	TokenRejected bool
	// Claims lists failed validators (Code == CodeInvalidClaims only).
	Claims []ClaimFailure
}

// Error implements error. The text holds the code and the reason only, never
// token material.
func (e *Error) Error() string {
	if e.Reason == nil {
		return "sessionguard: " + string(e.Code)
	}
	return "sessionguard: " + string(e.Code) + ": " + e.Reason.Error()
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Reason }

// Is matches the sentinel of the error's code.
func (e *Error) Is(target error) bool {
	return target != nil && sentinelOf(e.Code) == target
}

// CodeOf returns the [Code] of err when err is, or wraps, an *[Error].
func CodeOf(err error) (Code, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Code, true
	}
	return "", false
}

func sentinelOf(c Code) error {
	switch c {
	case CodeUnauthorised:
		return ErrUnauthorised
	case CodeTryRefreshToken:
		return ErrTryRefreshToken
	case CodeInvalidClaims:
		return ErrInvalidClaims
	case CodeCrossOriginRequest:
		return ErrCrossOriginRequest
	case CodeInvalidRequest:
		return ErrInvalidRequest
	case CodeKeysUnavailable:
		return ErrKeysUnavailable
	}
	return nil
}

// Preallocated errors: the failure paths allocate nothing.
var (
	errNoToken         = &Error{Code: CodeUnauthorised, Reason: ErrNoToken}
	errRefreshMarker   = &Error{Code: CodeTryRefreshToken, Reason: ErrRefreshMarker}
	errExpired         = &Error{Code: CodeTryRefreshToken, Reason: ErrTokenExpired, TokenRejected: true}
	errNotYetValid     = &Error{Code: CodeTryRefreshToken, Reason: ErrTokenNotYetValid, TokenRejected: true}
	errSignature       = &Error{Code: CodeTryRefreshToken, Reason: ErrSignatureInvalid, TokenRejected: true}
	errUnknownKey      = &Error{Code: CodeTryRefreshToken, Reason: ErrUnknownKey, TokenRejected: true}
	errAlgMismatch     = &Error{Code: CodeTryRefreshToken, Reason: ErrAlgorithmMismatch, TokenRejected: true}
	errUnsupportedHdr  = &Error{Code: CodeTryRefreshToken, Reason: ErrUnsupportedHeader, TokenRejected: true}
	errMalformedClaims = &Error{Code: CodeUnauthorised, Reason: ErrMalformedClaims, TokenRejected: true}
	errMissingExpiry   = &Error{Code: CodeUnauthorised, Reason: ErrMissingExpiry, TokenRejected: true}
	errMissingSubject  = &Error{Code: CodeUnauthorised, Reason: ErrMissingSubject, TokenRejected: true}
	errAudience        = &Error{Code: CodeUnauthorised, Reason: ErrAudienceMismatch, TokenRejected: true}
	errIssuer          = &Error{Code: CodeUnauthorised, Reason: ErrIssuerMismatch, TokenRejected: true}
	errLifetime        = &Error{Code: CodeUnauthorised, Reason: ErrLifetimeTooLong, TokenRejected: true}
	errMissingClaim    = &Error{Code: CodeUnauthorised, Reason: ErrMissingClaim, TokenRejected: true}
	errTokenType       = &Error{Code: CodeUnauthorised, Reason: ErrTokenType, TokenRejected: true}
	errSessionRevoked  = &Error{Code: CodeUnauthorised, Reason: ErrSessionRevoked, TokenRejected: true}
	errMissingSID      = &Error{Code: CodeUnauthorised, Reason: ErrMissingSessionID, TokenRejected: true}
	errCrossOrigin     = &Error{Code: CodeCrossOriginRequest, Reason: ErrCrossOrigin}
	errDuplicateAuthz  = &Error{Code: CodeInvalidRequest, Reason: ErrDuplicateAuthorization}
	errKeysUnavailable = &Error{Code: CodeKeysUnavailable, Reason: ErrKeySetNotLoaded, TokenRejected: true}
)
