package sessionguard

import "errors"

// RevocationChecker reports whether a session id was revoked. It is called on
// every request of a route that opts in, so it must answer from memory, fast,
// safe for concurrent use.
type RevocationChecker interface{ Revoked(sid string) bool }

// WithRevocationCheck refuses a verified token whose "sid" rc reports revoked:
// UNAUTHORISED with error="invalid_token" (TokenRejected), reason ErrSessionRevoked.
// A token without "sid" on such a route is refused too (it cannot be checked):
// reason ErrMissingSessionID. Applies on cache hits as well. Default: off.
//
// The check runs after the registered claims are judged and before the
// application claim validators (docs/lifecycle.md §4). A "sid" that is an
// empty string counts as missing. A nil rc makes New, Required or Optional
// fail.
func WithRevocationCheck(rc RevocationChecker) SharedOption {
	return sharedFunc(func(r *routeConfig) error {
		if rc == nil {
			return errors.New("WithRevocationCheck: nil RevocationChecker")
		}
		r.revocation = rc
		return nil
	})
}

// notRevoked judges the route's revocation check, if any.
func (g *Guard) notRevoked(s *Session) *Error {
	rc := g.cfg.revocation
	if rc == nil {
		return nil
	}
	if s.sessionID == "" {
		return errMissingSID
	}
	if rc.Revoked(s.sessionID) {
		return errSessionRevoked
	}
	return nil
}
