package sessionguard

import (
	"context"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// storeFor returns the key store for a classified token.
func (v *Verifier) storeFor(t *token) *keyStore {
	if v.unbound != nil {
		return v.unbound
	}
	return v.issuers[t.claims.iss]
}

// verify checks signature, then time claims, then the other registered
// claims (docs/semantics.md §4 order). It returns a session or the outcome.
func (v *Verifier) verify(ctx context.Context, t *token) (*Session, *Error) {
	if t.badHdr {
		return nil, errUnsupportedHdr
	}
	st := v.storeFor(t)
	ks := st.current()
	if ks == nil {
		return nil, errKeysUnavailable
	}
	key, e := ks.find(t.kid, t.hasKid, t.alg)
	if e == errUnknownKey && st.refreshForUnknownKid(ctx, v.bg) {
		ks = st.current()
		key, e = ks.find(t.kid, t.hasKid, t.alg)
	}
	if e != nil {
		return nil, e
	}
	if err := verifySignature(t, key); err != nil {
		return nil, errSignature
	}
	if e := v.checkClaims(&t.claims, v.now()); e != nil {
		return nil, e
	}
	if v.types != nil && !t.typOK {
		return nil, errTokenType // a wrong kind of token of our issuer (row 4)
	}
	s := newSession(t)
	if v.sidClaim != "" || v.sidByIssuer != nil { // WithSessionIDClaim or a preset (sessionid.go)
		if e := v.sessionIDFromClaim(s); e != nil {
			return nil, e
		}
	}
	v.cache.put(s, t, key, st)
	// From here on the session is shared: it must not point into request
	// memory (newSession copies the token).
	return s, nil
}

func verifySignature(t *token, key *jose.Key) error {
	sigSrc := bytesOf(t.raw[t.d2+1:])
	var buf [512]byte
	var sig []byte
	if n := b64.DecodedLen(len(sigSrc)); n <= len(buf) {
		sig = buf[:n]
	} else {
		sig = make([]byte, n)
	}
	n, err := b64.Decode(sig, sigSrc)
	if err != nil {
		return err
	}
	return jose.Verify(t.alg, key, bytesOf(t.raw[:t.d2]), sig[:n])
}

// checkClaims judges the registered claims of a verified token.
func (v *Verifier) checkClaims(c *claims, now time.Time) *Error {
	// Row 2 first, for each time claim that is well formed; then a
	// malformed time claim is row 4 like any other registered claim.
	good := c.has &^ c.badTime
	nowS := unixSeconds(now)
	if good&cExp != 0 && nowS >= c.exp+v.leeway {
		return errExpired
	}
	if good&cNbf != 0 && c.nbf > nowS+v.leeway {
		return errNotYetValid
	}
	if good&cIat != 0 && c.iat > nowS+v.leeway {
		return errNotYetValid
	}
	if c.badTime != 0 {
		return errMalformedClaims
	}
	if c.has&cExp == 0 {
		if c.bad {
			return errMalformedClaims // e.g. a payload that is not a JSON object
		}
		return errMissingExpiry
	}
	if c.bad {
		return errMalformedClaims
	}
	if v.issuers != nil {
		if _, ok := v.issuers[c.iss]; !ok || c.has&cIss == 0 {
			return errIssuer
		}
	}
	if c.sub == "" {
		return errMissingSubject
	}
	if len(v.audiences) > 0 && !audienceMatch(c.audRaw, v.audiences) {
		return errAudience
	}
	if v.maxLifetime > 0 {
		start := nowS
		if c.has&cIat != 0 {
			start = c.iat
		}
		if c.exp-start > v.maxLifetime {
			return errLifetime
		}
	}
	if n := len(v.required); n > 0 && c.required != uint32(1)<<uint(n)-1 {
		return errMissingClaim
	}
	return nil
}

// audienceMatch reports whether the raw "aud" (a string or an array of
// strings) holds one of want, without allocating.
func audienceMatch(raw []byte, want []string) bool {
	found := false
	eachString(raw, func(el []byte) bool {
		for _, w := range want {
			if stringEquals(el, w) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}
