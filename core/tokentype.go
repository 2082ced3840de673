package sessionguard

import (
	"errors"
	"fmt"
	"strings"
)

// WithTokenType requires the token's JOSE header "typ" to be one of types,
// e.g. WithTokenType("at+jwt") for OAuth 2.0 access tokens in JWT form
// (RFC 9068). Default: "typ" is not checked.
//
// Use it when the issuer signs other JWTs with the same keys, above all
// OpenID Connect ID tokens: an ID token has the same "iss", a "sub" and an
// "exp", so without an audience check it verifies as a session (RFC 8725
// §3.11, explicit typing). docs/token-types.md says, per provider, what
// tells its access tokens apart.
//
// Types are compared case-insensitively, and a value without "/" is read
// with "application/" in front (RFC 7515 §4.1.9), so "at+jwt",
// "AT+JWT" and "application/at+jwt" are one type. A verified token whose
// typ is missing, not a string or another type is refused as a wrong
// registered claim: UNAUTHORISED with error="invalid_token" (row 4),
// reason [ErrTokenType]. It is not treated as "not sent": the token is of a
// configured issuer and signed by its keys, so it is ours but of the wrong
// kind, and an optional route must not silently serve it as anonymous.
func WithTokenType(types ...string) Option {
	return optionFunc(func(c *config) error {
		if len(types) == 0 {
			return errors.New("WithTokenType: empty list")
		}
		for _, t := range types {
			if !validMediaType(t) {
				return fmt.Errorf("WithTokenType: invalid media type %q", t)
			}
			c.types = append(c.types, fullMediaType(t))
		}
		return nil
	})
}

const appPrefix = "application/"

// fullMediaType lower-cases t and adds "application/" when t has no "/".
func fullMediaType(t string) string {
	t = strings.ToLower(t)
	if !strings.Contains(t, "/") {
		t = appPrefix + t
	}
	return t
}

// validMediaType accepts type/subtype or a bare subtype of token
// characters (RFC 9110 §5.6.2), without parameters.
func validMediaType(t string) bool {
	typ, sub, found := strings.Cut(t, "/")
	if !found {
		return isToken(t)
	}
	return isToken(typ) && isToken(sub)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// acceptedType reports whether the raw JSON "typ" value is one of the
// configured types, without allocating for a plain string.
func (v *Verifier) acceptedType(raw []byte) bool {
	inner, ok := plainString(raw)
	if !ok {
		s, ok := jsonString(raw)
		if !ok {
			return false
		}
		inner = []byte(s)
	}
	for _, want := range v.types {
		if typeEquals(inner, want) {
			return true
		}
	}
	return false
}

// typeEquals compares a typ value with a full, lower-case media type.
func typeEquals(got []byte, want string) bool {
	if !strings.Contains(string(got), "/") {
		if !strings.HasPrefix(want, appPrefix) {
			return false
		}
		want = want[len(appPrefix):]
	}
	return asciiEqualFold(string(got), want)
}
