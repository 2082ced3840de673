package sessionissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"
)

// This file writes public keys as JWK JSON (RFC 7517, RFC 7518 §6, RFC 8037
// §2) and computes their RFC 7638 thumbprints. The JSON is written by hand:
// every value is base64url or one of a few fixed names, so nothing needs
// escaping, and the thumbprint input must be byte-exact anyway.

// jwkMembers returns the key-type members of pub in lexicographic order
// (the order RFC 7638 §3.2 requires for the thumbprint), as name/value pairs.
func jwkMembers(pub crypto.PublicKey) ([][2]string, error) {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return nil, errors.New("only P-256 EC keys are supported")
		}
		pt, err := p.Bytes() // 0x04 || X || Y, each coordinate full width (RFC 7518 §6.2.1.2)
		if err != nil || len(pt) != 65 {
			return nil, errors.New("invalid EC public key")
		}
		return [][2]string{{"crv", "P-256"}, {"kty", "EC"}, {"x", b64.EncodeToString(pt[1:33])}, {"y", b64.EncodeToString(pt[33:])}}, nil
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, errors.New("invalid Ed25519 public key")
		}
		return [][2]string{{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", b64.EncodeToString(p)}}, nil
	case *rsa.PublicKey:
		if p.N == nil || p.N.BitLen() < minRSABits || p.E < 3 {
			return nil, errors.New("RSA public key under 2048 bits or invalid")
		}
		// RFC 7518 §6.3.1: unsigned big-endian, minimal length.
		return [][2]string{{"e", b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())}, {"kty", "RSA"}, {"n", b64.EncodeToString(p.N.Bytes())}}, nil
	}
	return nil, errors.New("unsupported public key type")
}

func appendMembers(dst []byte, m [][2]string) []byte {
	for i, kv := range m {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, kv[0]...)
		dst = append(dst, `":"`...)
		dst = append(dst, kv[1]...)
		dst = append(dst, '"')
	}
	return dst
}

// thumbprint is the base64url SHA-256 JWK thumbprint of pub (RFC 7638): the
// key id this package gives every key, so a kid names exactly one public key
// and a stored key whose kid does not match its key is detected on load.
func thumbprint(pub crypto.PublicKey) (string, error) {
	m, err := jwkMembers(pub)
	if err != nil {
		return "", err
	}
	buf := append([]byte{'{'}, appendMembers(nil, m)...)
	buf = append(buf, '}')
	sum := sha256.Sum256(buf)
	return b64.EncodeToString(sum[:]), nil
}

// publicJWK is the JWK of pub as published in the JWKS: the key-type
// members, then kid, alg and use "sig". Never a private member.
func publicJWK(kid, alg string, pub crypto.PublicKey) ([]byte, error) {
	m, err := jwkMembers(pub)
	if err != nil {
		return nil, err
	}
	m = append(m, [2]string{"kid", kid}, [2]string{"alg", alg}, [2]string{"use", "sig"})
	buf := append([]byte{'{'}, appendMembers(nil, m)...)
	return append(buf, '}'), nil
}

// jwksDocument assembles {"keys":[...]} from JWKs in the order given.
func jwksDocument(jwks [][]byte) []byte {
	n := len(`{"keys":[]}`)
	for _, k := range jwks {
		n += len(k) + 1
	}
	doc := make([]byte, 0, n)
	doc = append(doc, `{"keys":[`...)
	for i, k := range jwks {
		if i > 0 {
			doc = append(doc, ',')
		}
		doc = append(doc, k...)
	}
	return append(doc, "]}"...)
}
