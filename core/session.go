package sessionguard

import (
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Source says where a session's token was read from.
type Source uint8

// Token sources.
const (
	SourceHeader Source = iota + 1 // the Authorization: Bearer header
	SourceCookie                   // the access-token cookie
)

// String returns "header" or "cookie".
func (s Source) String() string {
	switch s {
	case SourceHeader:
		return "header"
	case SourceCookie:
		return "cookie"
	}
	return "none"
}

// Session is a verified short-term session. It is immutable and may be
// shared between requests; read it through its methods.
type Session struct {
	token     string
	source    Source
	subject   string
	issuer    string
	sessionID string
	tokenID   string
	audRaw    []byte
	issuedAt  time.Time
	notBefore time.Time
	expiry    time.Time
	payload   []byte
}

func newSession(t *token) *Session {
	c := &t.claims
	s := &Session{
		// The token may point into a framework's reused buffer (the Request
		// contract allows it); the session outlives the request, so copy.
		token:     strings.Clone(t.raw),
		source:    t.source,
		subject:   c.sub,
		issuer:    c.iss,
		sessionID: c.sid,
		tokenID:   c.jti,
		audRaw:    c.audRaw,
		expiry:    unixTime(c.exp),
		payload:   t.payload,
	}
	if c.has&cIat != 0 {
		s.issuedAt = unixTime(c.iat)
	}
	if c.has&cNbf != 0 {
		s.notBefore = unixTime(c.nbf)
	}
	return s
}

// Subject is the "sub" claim: the user's ID. Never empty.
func (s *Session) Subject() string { return s.subject }

// Issuer is the "iss" claim ("" when the token has none and issuers are not configured).
func (s *Session) Issuer() string { return s.issuer }

// SessionID is the "sid" claim, or "".
func (s *Session) SessionID() string { return s.sessionID }

// TokenID is the "jti" claim, or "".
func (s *Session) TokenID() string { return s.tokenID }

// Audience is the "aud" claim as a list (nil when absent).
func (s *Session) Audience() []string {
	if s.audRaw == nil {
		return nil
	}
	aud, _ := jsonStrings(s.audRaw)
	return aud
}

// IssuedAt is the "iat" claim, or the zero time.
func (s *Session) IssuedAt() time.Time { return s.issuedAt }

// NotBefore is the "nbf" claim, or the zero time.
func (s *Session) NotBefore() time.Time { return s.notBefore }

// Expiry is the "exp" claim.
func (s *Session) Expiry() time.Time { return s.expiry }

// Source says whether the token came from the header or the cookie.
func (s *Session) Source() Source { return s.source }

// Token is the raw compact token, for forwarding to other services (see
// [Transport]). Never log it.
func (s *Session) Token() string { return s.token }

// Claim returns the raw JSON of one top-level claim (a copy).
func (s *Session) Claim(name string) (json.RawMessage, bool) {
	raw, ok := s.claim(name)
	if !ok {
		return nil, false
	}
	return append(json.RawMessage(nil), raw...), true
}

func (s *Session) claim(name string) ([]byte, bool) {
	it, ok := newObjIter(s.payload)
	if !ok {
		return nil, false
	}
	for {
		rawName, val, more := it.next()
		if !more {
			return nil, false
		}
		if n, ok := memberName(rawName); ok && string(n) == name {
			return val, true
		}
	}
}

// DecodeClaims unmarshals the whole payload into v with encoding/json (note
// that encoding/json matches field names case-insensitively).
func (s *Session) DecodeClaims(v any) error {
	if s == nil {
		return errors.New("sessionguard: nil session")
	}
	return json.Unmarshal(s.payload, v)
}

// Claims decodes the session's payload into a T, the application's own
// claims struct.
func Claims[T any](s *Session) (T, error) {
	var v T
	err := s.DecodeClaims(&v)
	return v, err
}
