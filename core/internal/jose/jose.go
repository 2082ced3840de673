// Package jose is the only place in sessionguard that imports jwx. It turns
// JWK Set documents and explicit keys into [Key] values and checks JWS
// signatures with jwx's per-algorithm verifiers. Nothing here decides whether a
// token is acceptable: header and claim rules live in the core package.
//
// Moving to another major version of jwx (or another JOSE library) changes
// this package only; see docs/decisions/0001-jwx-v2.md.
package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Algorithm names (the JWS "alg" values) this package knows.
const (
	RS256 = "RS256"
	RS384 = "RS384"
	RS512 = "RS512"
	PS256 = "PS256"
	PS384 = "PS384"
	PS512 = "PS512"
	ES256 = "ES256"
	ES384 = "ES384"
	ES512 = "ES512"
	EdDSA = "EdDSA"
	HS256 = "HS256"
	HS384 = "HS384"
	HS512 = "HS512"
)

// Asymmetric lists the asymmetric algorithms in a fixed order.
var Asymmetric = []string{RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA}

// Symmetric lists the HMAC algorithms.
var Symmetric = []string{HS256, HS384, HS512}

// MinRSABits is the smallest RSA modulus accepted.
const MinRSABits = 2048

// Known reports whether alg is an algorithm this package can verify.
func Known(alg string) bool {
	_, ok := verifiers[alg]
	return ok
}

// IsSymmetric reports whether alg is an HMAC algorithm.
func IsSymmetric(alg string) bool {
	return alg == HS256 || alg == HS384 || alg == HS512
}

var verifiers = func() map[string]jws.Verifier {
	m := make(map[string]jws.Verifier)
	for _, list := range [][]string{Asymmetric, Symmetric} {
		for _, name := range list {
			v, err := jws.NewVerifier(jwa.SignatureAlgorithm(name))
			if err != nil {
				// Every name above is built into jwx; reaching this is a
				// build-time mistake, so leave the algorithm out (it then
				// never verifies) rather than panic.
				continue
			}
			m[name] = v
		}
	}
	return m
}()

// Key is one verification key. It is immutable once built.
type Key struct {
	// ID is the JWK "kid" (may be empty).
	ID string
	// Alg is the JWK "alg" when the key names one; empty otherwise.
	Alg string
	// Public is *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or, for
	// an HMAC secret, []byte.
	Public any
	// family caches which algorithms the key's type can serve.
	family family
}

type family uint8

const (
	famNone family = iota
	famRSA
	famP256
	famP384
	famP521
	famEd25519
	famHMAC
)

// Supports reports whether the key may verify a token whose header says alg:
// the key's own "alg" when it has one, otherwise what its type and curve allow.
func (k *Key) Supports(alg string) bool {
	if k.Alg != "" {
		return k.Alg == alg
	}
	switch k.family {
	case famRSA:
		switch alg {
		case RS256, RS384, RS512, PS256, PS384, PS512:
			return true
		}
	case famP256:
		return alg == ES256
	case famP384:
		return alg == ES384
	case famP521:
		return alg == ES512
	case famEd25519:
		return alg == EdDSA
	case famHMAC:
		return IsSymmetric(alg)
	}
	return false
}

// Equal reports whether two keys carry the same id, algorithm and material.
func (k *Key) Equal(o *Key) bool {
	if k.ID != o.ID || k.Alg != o.Alg || k.family != o.family {
		return false
	}
	switch p := k.Public.(type) {
	case *rsa.PublicKey:
		return p.Equal(o.Public)
	case *ecdsa.PublicKey:
		return p.Equal(o.Public)
	case ed25519.PublicKey:
		return p.Equal(o.Public)
	}
	return false
}

// ErrSignature is returned by [Verify] for every failed check; the cause is
// deliberately not carried (it is library text and must not reach logs).
var ErrSignature = errors.New("signature does not verify")

// Verify checks sig over signingInput with key for alg. The caller has
// already checked that key supports alg.
func Verify(alg string, key *Key, signingInput, sig []byte) error {
	v, ok := verifiers[alg]
	if !ok || key == nil || !key.Supports(alg) {
		return ErrSignature
	}
	if v.Verify(signingInput, sig, key.Public) != nil {
		return ErrSignature
	}
	return nil
}

// MaxRSABits is the largest RSA modulus accepted: verifying with a larger
// one costs time in proportion to a key the set's publisher chose.
const MaxRSABits = 16384

// ErrInvalidKey marks key material that is broken rather than merely
// unsupported: an EC point off its curve, an RSA modulus or exponent no
// signer could have made, an Ed25519 key of the wrong length. jwx does not
// check these; [FromPublic] does, so that such a key never replaces a good one.
var ErrInvalidKey = errors.New("invalid key material")

// ErrWeakKey marks an RSA key under [MinRSABits].
var ErrWeakKey = errors.New("RSA key too small")

// FromPublic builds a key from a Go public key. It rejects key types and sizes
// sessionguard does not accept (RSA under 2048 bits, curves other than P-256,
// P-384 and P-521, private keys) and broken material (errors matching
// [ErrInvalidKey]). The key is copied: later changes to pub do not reach it.
func FromPublic(kid, alg string, pub crypto.PublicKey) (*Key, error) {
	k := &Key{ID: kid, Alg: alg}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return nil, fmt.Errorf("%w: RSA key without a modulus", ErrInvalidKey)
		}
		if err := checkRSA(p); err != nil {
			return nil, err
		}
		k.Public, k.family = &rsa.PublicKey{N: new(big.Int).Set(p.N), E: p.E}, famRSA
	case *ecdsa.PublicKey:
		if p == nil || p.Curve == nil {
			return nil, errors.New("ECDSA key without a curve")
		}
		switch p.Curve {
		case elliptic.P256():
			k.family = famP256
		case elliptic.P384():
			k.family = famP384
		case elliptic.P521():
			k.family = famP521
		default:
			return nil, errors.New("unsupported ECDSA curve")
		}
		if p.X == nil || p.Y == nil {
			return nil, fmt.Errorf("%w: EC key without a point", ErrInvalidKey)
		}
		// ECDH fails unless the point is on the named curve (and not the
		// point at infinity): the check jwx leaves out.
		if _, err := p.ECDH(); err != nil {
			return nil, fmt.Errorf("%w: EC point is not on its curve", ErrInvalidKey)
		}
		k.Public = &ecdsa.PublicKey{Curve: p.Curve, X: new(big.Int).Set(p.X), Y: new(big.Int).Set(p.Y)}
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrInvalidKey, len(p))
		}
		k.Public, k.family = append(ed25519.PublicKey(nil), p...), famEd25519
	default:
		return nil, fmt.Errorf("unsupported public key type %T", pub)
	}
	if alg != "" && (!Known(alg) || IsSymmetric(alg) || !k.supportsFamily(alg)) {
		return nil, fmt.Errorf("algorithm %q does not fit the key", alg)
	}
	return k, nil
}

// checkRSA refuses small, oversized and impossible RSA keys. The exponent
// must be odd and at least 3 (what every signer uses); crypto/rsa itself
// refuses exponents beyond 2^31-1.
func checkRSA(p *rsa.PublicKey) error {
	bits := p.N.BitLen()
	switch {
	case p.N.Sign() <= 0 || p.N.Bit(0) == 0:
		return fmt.Errorf("%w: RSA modulus is not a positive odd number", ErrInvalidKey)
	case bits < MinRSABits:
		return fmt.Errorf("%w: RSA keys must have at least %d bits", ErrWeakKey, MinRSABits)
	case bits > MaxRSABits:
		return fmt.Errorf("%w: RSA modulus over %d bits", ErrInvalidKey, MaxRSABits)
	case p.E < 3 || p.E%2 == 0 || p.E > 1<<31-1:
		return fmt.Errorf("%w: RSA exponent %d", ErrInvalidKey, p.E)
	}
	return nil
}

func (k *Key) supportsFamily(alg string) bool {
	saved := k.Alg
	k.Alg = ""
	ok := k.Supports(alg)
	k.Alg = saved
	return ok
}

// FromSecret builds an HMAC key. alg may be empty (any HS algorithm).
func FromSecret(kid, alg string, secret []byte) (*Key, error) {
	if alg != "" && !IsSymmetric(alg) {
		return nil, fmt.Errorf("algorithm %q is not an HMAC algorithm", alg)
	}
	if len(secret) < 32 {
		return nil, errors.New("HMAC secrets must be at least 32 bytes")
	}
	s := make([]byte, len(secret))
	copy(s, secret)
	return &Key{ID: kid, Alg: alg, Public: s, family: famHMAC}, nil
}

// SetStats says what [ParseSet] kept and why it left keys out.
type SetStats struct {
	Kept, Symmetric, WeakRSA, Unusable, Malformed, OverCap int
	// Invalid counts keys whose material is broken ([ErrInvalidKey]).
	Invalid int
}

// ParseSet parses a JWK Set document ({"keys":[...]}) and returns the
// signature keys it can use. Keys are judged one at a time: a malformed or
// unsupported key is skipped, not fatal. Symmetric ("oct") keys, RSA keys
// under 2048 bits, encryption keys (use "enc"), curves other than P-256/384/521
// and Ed25519, keys whose "alg" is not a signature algorithm and keys with
// broken material (counted in Invalid) are skipped.
// At most maxKeys entries are examined. An error means the document itself is
// unusable.
func ParseSet(doc []byte, maxKeys int) ([]*Key, SetStats, error) {
	var st SetStats
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, st, errors.New("not a JWK Set document")
	}
	if set.Keys == nil {
		return nil, st, errors.New(`JWK Set has no "keys" array`)
	}
	entries := set.Keys
	if maxKeys > 0 && len(entries) > maxKeys {
		st.OverCap = len(entries) - maxKeys
		entries = entries[:maxKeys]
	}
	keys := make([]*Key, 0, len(entries))
	for _, raw := range entries {
		k, why := parseOne(raw)
		switch why {
		case "":
			keys = append(keys, k)
			st.Kept++
		case "oct":
			st.Symmetric++
		case "weak":
			st.WeakRSA++
		case "malformed":
			st.Malformed++
		case "invalid":
			st.Invalid++
		default:
			st.Unusable++
		}
	}
	return keys, st, nil
}

func parseOne(raw []byte) (*Key, string) {
	jk, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, "malformed"
	}
	if jk.KeyType() == jwa.OctetSeq {
		return nil, "oct"
	}
	if u := jk.KeyUsage(); u != "" && u != string(jwk.ForSignature) {
		return nil, "unusable"
	}
	alg := ""
	if a := jk.Algorithm(); a != nil {
		alg = a.String()
	}
	if alg != "" && (!Known(alg) || IsSymmetric(alg)) {
		return nil, "unusable"
	}
	pub, err := jwk.PublicRawKeyOf(jk)
	if err != nil {
		return nil, "unusable"
	}
	switch p := pub.(type) {
	case rsa.PublicKey:
		pub = &p
	case ecdsa.PublicKey:
		pub = &p
	}
	k, err := FromPublic(jk.KeyID(), alg, pub)
	switch {
	case errors.Is(err, ErrWeakKey):
		return nil, "weak"
	case errors.Is(err, ErrInvalidKey):
		return nil, "invalid"
	case err != nil:
		return nil, "unusable"
	}
	return k, ""
}
