package sessionissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Signing algorithms an issuer can be configured with (docs/lifecycle.md §5).
const (
	algES256 = "ES256" // ECDSA P-256 with SHA-256: the default
	algEdDSA = "EdDSA" // Ed25519 (RFC 8037)
	algRS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys
)

// minRSABits is the smallest RSA modulus the issuer generates or accepts from
// its store; verifiers ignore smaller keys (docs/lifecycle.md §5).
const minRSABits = 2048

func validAlg(alg string) bool {
	return alg == algES256 || alg == algEdDSA || alg == algRS256
}

// generateKey makes a fresh private key for alg.
func generateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case algES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case algEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case algRS256:
		return rsa.GenerateKey(rand.Reader, minRSABits)
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}

// keyMatchesAlg reports whether priv is a key alg signs with: a P-256 key
// for ES256, Ed25519 for EdDSA, RSA of at least 2048 bits for RS256.
func keyMatchesAlg(priv crypto.Signer, alg string) bool {
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		return alg == algES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		return alg == algEdDSA && len(k) == ed25519.PrivateKeySize
	case *rsa.PrivateKey:
		return alg == algRS256 && k.N != nil && k.N.BitLen() >= minRSABits
	}
	return false
}

// signingInput is BASE64URL(header) "." BASE64URL(claims) (RFC 7515 §7.1),
// with room left for the signature.
func signingInput(header string, claims []byte, sigLen int) []byte {
	n := len(header) + 1 + b64.EncodedLen(len(claims))
	buf := make([]byte, n, n+1+b64.EncodedLen(sigLen))
	copy(buf, header)
	buf[len(header)] = '.'
	b64.Encode(buf[len(header)+1:], claims)
	return buf
}

// jwsSign signs input with priv as alg (RFC 7518 §3.3, §3.4; RFC 8037 §3.1).
// ECDSA signatures are the fixed-width R || S that JWS requires, never the
// ASN.1 form crypto/ecdsa's SignASN1 produces.
func jwsSign(alg string, priv crypto.Signer, input []byte) ([]byte, error) {
	switch alg {
	case algES256:
		k, ok := priv.(*ecdsa.PrivateKey)
		if !ok {
			break
		}
		h := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	case algEdDSA:
		k, ok := priv.(ed25519.PrivateKey)
		if !ok {
			break
		}
		return ed25519.Sign(k, input), nil
	case algRS256:
		k, ok := priv.(*rsa.PrivateKey)
		if !ok {
			break
		}
		h := sha256.Sum256(input)
		return rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
	}
	return nil, errors.New("key does not match its algorithm")
}

// sigSize is the signature length of alg with priv.
func sigSize(alg string, priv crypto.Signer) int {
	switch alg {
	case algES256:
		return 64
	case algEdDSA:
		return ed25519.SignatureSize
	}
	if k, ok := priv.(*rsa.PrivateKey); ok {
		return k.Size()
	}
	return 512
}

// compactJWS returns header.claims.signature for one signing key.
func compactJWS(k *ringKey, claims []byte) (string, error) {
	in := signingInput(k.header, claims, sigSize(k.alg, k.priv))
	sig, err := jwsSign(k.alg, k.priv, in)
	if err != nil {
		return "", err
	}
	in = append(in, '.')
	in = b64.AppendEncode(in, sig)
	return string(in), nil
}

// protectedHeader is the base64url JOSE header of every token signed with
// kid: alg, kid, typ "JWT" (docs/lifecycle.md §1).
func protectedHeader(alg, kid string) string {
	return b64.EncodeToString([]byte(`{"alg":"` + alg + `","kid":"` + kid + `","typ":"JWT"}`))
}
