package sessionissuer

import "errors"

// ErrStoreUnavailable is what every operation returns (wrapped) when its
// store failed or timed out. It is never a logout: over HTTP it is a 503 with
// Retry-After that clears no cookie (docs/lifecycle.md §6). The wrapping
// error also unwraps to the store's error (so errors.Is(err,
// context.DeadlineExceeded) works) but its text never includes the store's
// text, which may hold query details.
var ErrStoreUnavailable = errors.New("sessionissuer: store unavailable")

// ErrTokenTheft is [Issuer.Refresh]'s answer to a refresh token that was
// issued for the session but whose grace period had passed (docs/lifecycle.md
// §3 row 3): two clients are using one lineage, so the session has been
// revoked and the theft hook has run. Over HTTP: 401 TOKEN_THEFT_DETECTED.
var ErrTokenTheft = errors.New("sessionissuer: refresh token reused after its grace period (TOKEN_THEFT_DETECTED); session revoked")

// ErrInvalidRefreshToken is [Issuer.Refresh]'s answer to a refresh token
// that cannot be honoured and says nothing against the session
// (docs/lifecycle.md §3 rows 4–5): malformed, made up, of an unknown,
// revoked or expired session, or dropped because more than 16 newer ones
// were outstanding. The session is unharmed. Over HTTP: 401 UNAUTHORISED.
var ErrInvalidRefreshToken = errors.New("sessionissuer: invalid refresh token")

// ErrInvalidSubject is returned for an empty subject, one that is not valid
// UTF-8, or one longer than [MaxSubjectSize] bytes. Nothing is stored.
var ErrInvalidSubject = errors.New("sessionissuer: invalid subject")

// ErrReservedClaim is returned for a payload that names a claim the issuer
// sets itself (iss sub aud exp nbf iat jti sid; docs/lifecycle.md §1).
// Nothing is stored.
var ErrReservedClaim = errors.New("sessionissuer: payload uses a reserved claim name")

// ErrPayloadTooLarge is returned for a payload whose compact JSON is larger
// than the configured maximum ([WithMaxPayloadSize], default 2 KiB).
// Nothing is stored.
var ErrPayloadTooLarge = errors.New("sessionissuer: payload too large")

// ErrInvalidPayload is returned for a payload encoding/json cannot encode
// (channels, functions, NaN, cycles). Nothing is stored.
var ErrInvalidPayload = errors.New("sessionissuer: payload cannot be encoded as JSON")

// storeError reports a failed store call without the store's text.
type storeError struct {
	op  string
	err error
}

func (e *storeError) Error() string   { return "sessionissuer: store unavailable (" + e.op + ")" }
func (e *storeError) Unwrap() []error { return []error{ErrStoreUnavailable, e.err} }

func storeErr(op string, err error) error { return &storeError{op: op, err: err} }

// reasonError is a precise refusal under one of the sentinels: the reason is
// fixed text, never input.
type reasonError struct {
	kind   error
	reason string
}

func (e *reasonError) Error() string { return e.kind.Error() + ": " + e.reason }
func (e *reasonError) Unwrap() error { return e.kind }

func refused(kind error, reason string) error { return &reasonError{kind: kind, reason: reason} }
