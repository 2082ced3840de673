package sessionissuer

import (
	"errors"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// WithObserver sends one [sessionguard.IssuerEvent] per operation to o:
// Create ("create"), Refresh ("refresh"), Revoke, RevokeAll and
// RevokeOthers ("revoke"), UpdatePayload ("update"), and a detected token
// theft ("theft", besides the refresh's own "rejected"). Events carry the
// operation, its result class and its duration; never a token, subject or
// handle (docs/observability.md). The same observer can serve a verifier
// ([sessionguard.WithObserver]) and the otel module's metrics. Default: none.
func WithObserver(o sessionguard.Observer) Option {
	return func(c *config) error {
		if o == nil {
			return errors.New("sessionissuer: WithObserver: nil Observer")
		}
		c.observer = o
		return nil
	}
}

// opStart is the start time of an operation, or the zero time when nobody
// observes (no clock read).
func (i *Issuer) opStart() time.Time {
	if i.cfg.observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// observe reports an operation that began at began and ended with *errp.
// Deferred by each operation: defer i.observe(op, i.opStart(), &err).
func (i *Issuer) observe(op sessionguard.IssuerOp, began time.Time, errp *error) {
	if i.cfg.observer == nil {
		return
	}
	sessionguard.ObserveIssuer(i.cfg.observer, sessionguard.IssuerEvent{Op: op, Result: issuerResult(*errp), Duration: time.Since(began)})
}

// issuerResult classifies an operation's error: a refusal of the input is
// "rejected", a store or signing failure "error".
func issuerResult(err error) sessionguard.IssuerResult {
	switch {
	case err == nil:
		return sessionguard.IssuerOK
	case errors.Is(err, ErrStoreUnavailable):
		return sessionguard.IssuerFailed
	case errors.Is(err, ErrInvalidRefreshToken), errors.Is(err, ErrTokenTheft), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrInvalidSubject), errors.Is(err, ErrReservedClaim),
		errors.Is(err, ErrPayloadTooLarge), errors.Is(err, ErrInvalidPayload):
		return sessionguard.IssuerRejected
	}
	return sessionguard.IssuerFailed
}
