package sessionguard

import "errors"

// WithSessionIDClaim names the claim whose string value is
// [Session.SessionID] (and so what [WithRevocationCheck] checks). Default
// "sid". With another name, "sid" is ignored; a token whose claim of that
// name is not a string is rejected with [CodeUnauthorised] (a malformed
// registered claim, semantics row 4), and one without it has no session id.
// It applies to every issuer except those of a preset that names its own
// claim ([SuperTokens]: "sessionHandle"); naming a different claim than such
// a preset is an error from [New], and so is WithSessionIDClaim twice.
func WithSessionIDClaim(name string) Option {
	return optionFunc(func(c *config) error {
		if name == "" || len(name) > 64 {
			return errors.New("WithSessionIDClaim: name must be 1 to 64 bytes")
		}
		if c.ext.sidClaimSet {
			return errors.New("WithSessionIDClaim given twice")
		}
		c.ext.sidClaim, c.ext.sidClaimSet = name, true
		return nil
	})
}

// sessionIDFromClaim sets the session id of a freshly verified session
// from the claim configured for its issuer (only called when some issuer's
// claim is not "sid").
func (v *Verifier) sessionIDFromClaim(s *Session) *Error {
	name := v.sidClaim
	if n, ok := v.sidByIssuer[s.issuer]; ok {
		name = n
	}
	if name == "" || name == "sid" {
		return nil // the "sid" claim, as parsed
	}
	raw, ok := s.claim(name)
	if !ok {
		s.sessionID = ""
		return nil
	}
	id, ok := jsonString(raw)
	if !ok {
		return errMalformedClaims
	}
	s.sessionID = id
	return nil
}
