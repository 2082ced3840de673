package sessionissuer

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
)

// A refresh token is "<handle>.<body>": the session handle (16 bytes) and
// the body (counter, secret, tag), both unpadded base64url. So it has exactly
// one '.', 98 characters of [A-Za-z0-9_.-], and can never be taken for a
// compact JWS (docs/lifecycle.md §1, §6).
//
//	counter  8 bytes  the token's number within its session (0: Create's)
//	secret  32 bytes  random; the store keeps SHA-256(secret) while the token is tracked
//	tag     16 bytes  HMAC-SHA-256 over (seed, handle, counter, secret), truncated
//
// The tag lets the issuer recognise every token it ever issued for a session
// without storing them all: a valid tag on a counter no longer tracked is a
// replay (theft), an invalid one is noise. The HMAC key is the master key
// when one is configured (so a copy of the database cannot fabricate tagged
// tokens) and the session's random seed otherwise; the seed is always in
// the MAC input, so tags are per session.
const (
	handleBytes  = 16
	counterBytes = 8
	secretBytes  = 32
	tagBytes     = 16
	bodyBytes    = counterBytes + secretBytes + tagBytes
	seedBytes    = 32

	handleChars       = 22 // base64url of 16 bytes
	bodyChars         = 75 // base64url of 56 bytes
	refreshTokenChars = handleChars + 1 + bodyChars

	// MaxRefreshTokenSize is the longest string [LooksLikeRefreshToken]
	// accepts (docs/lifecycle.md §1).
	MaxRefreshTokenSize = 512
)

var b64 = base64.RawURLEncoding.Strict()

type refreshToken struct {
	handle  string
	counter uint64
	secret  [secretBytes]byte
	tag     [tagBytes]byte
}

// LooksLikeRefreshToken reports whether s has the shape of a refresh token
// (docs/lifecycle.md §1, §6): 1 to 512 bytes of [A-Za-z0-9_.-] with at most
// one '.'. It does not say the token is valid; the HTTP layer uses it to
// tell a refresh token in an Authorization field from anything else.
func LooksLikeRefreshToken(s string) bool {
	if s == "" || len(s) > MaxRefreshTokenSize {
		return false
	}
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		case c == '.':
			if dots++; dots > 1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// parseRefreshToken splits s into its parts; it checks shape only (the tag
// needs the session's row).
func parseRefreshToken(s string) (refreshToken, bool) {
	var t refreshToken
	if len(s) != refreshTokenChars || s[handleChars] != '.' {
		return t, false
	}
	var hb [handleBytes]byte
	if n, err := b64.Decode(hb[:], []byte(s[:handleChars])); err != nil || n != handleBytes {
		return t, false
	}
	var body [bodyBytes]byte
	if n, err := b64.Decode(body[:], []byte(s[handleChars+1:])); err != nil || n != bodyBytes {
		return t, false
	}
	t.handle = s[:handleChars]
	t.counter = binary.BigEndian.Uint64(body[:counterBytes])
	copy(t.secret[:], body[counterBytes:])
	copy(t.tag[:], body[counterBytes+secretBytes:])
	return t, true
}

func (t *refreshToken) String() string {
	var body [bodyBytes]byte
	binary.BigEndian.PutUint64(body[:], t.counter)
	copy(body[counterBytes:], t.secret[:])
	copy(body[counterBytes+secretBytes:], t.tag[:])
	var sb strings.Builder
	sb.Grow(refreshTokenChars)
	sb.WriteString(t.handle)
	sb.WriteByte('.')
	sb.WriteString(b64.EncodeToString(body[:]))
	return sb.String()
}

// macTag computes the token's tag under the session's seed.
func macTag(master []byte, seed *[seedBytes]byte, handle string, counter uint64, secret *[secretBytes]byte) [tagBytes]byte {
	key := master
	if key == nil {
		key = seed[:]
	}
	m := hmac.New(sha256.New, key)
	var buf [seedBytes + handleChars + counterBytes + secretBytes]byte
	n := copy(buf[:], seed[:])
	n += copy(buf[n:], handle)
	binary.BigEndian.PutUint64(buf[n:], counter)
	n += counterBytes
	n += copy(buf[n:], secret[:])
	m.Write(buf[:n])
	var sum [sha256.Size]byte
	var tag [tagBytes]byte
	copy(tag[:], m.Sum(sum[:0]))
	return tag
}

// newRefreshToken issues token number counter of the session.
func newRefreshToken(master []byte, seed *[seedBytes]byte, handle string, counter uint64) (refreshToken, [sha256.Size]byte, error) {
	t := refreshToken{handle: handle, counter: counter}
	if _, err := rand.Read(t.secret[:]); err != nil {
		return t, [sha256.Size]byte{}, err
	}
	t.tag = macTag(master, seed, handle, counter, &t.secret)
	return t, sha256.Sum256(t.secret[:]), nil
}

// newHandle returns 128 random bits, base64url.
func newHandle() (string, error) {
	var b [handleBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return b64.EncodeToString(b[:]), nil
}
