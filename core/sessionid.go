package sessionguard

import "errors"

// WithSessionIDClaim names the claim whose string value is
// [Session.SessionID] (and so what [WithRevocationCheck] checks). Default
// "sid". With another name, "sid" is ignored; a token whose claim of that
// name is not a string is rejected with [CodeUnauthorised] (a malformed
// registered claim, semantics row 4), and one without it has no session id.
// A preset that names a different claim ([SuperTokens]: "sessionHandle") is
// an error from [New]; so is WithSessionIDClaim twice.
func WithSessionIDClaim(name string) Option {
	return optionFunc(func(c *config) error {
		if name == "" || len(name) > 64 {
			return errors.New("WithSessionIDClaim: name must be 1 to 64 bytes")
		}
		if c.ext.sidClaimBy == "WithSessionIDClaim" {
			return errors.New("WithSessionIDClaim given twice")
		}
		c.ext.sidClaim, c.ext.sidClaimBy = name, "WithSessionIDClaim"
		return nil
	})
}

// sessionIDFromClaim sets the session id of a freshly verified session
// from the configured claim (only called when it is not "sid").
func (v *Verifier) sessionIDFromClaim(s *Session) *Error {
	raw, ok := s.claim(v.sidClaim)
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
