// placeholder: replaced by the issuer-keys branch at merge

package sessionissuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"time"
)

type keyConfig struct {
	Alg                             string
	Rotation, JWKSMaxAge, AccessTTL time.Duration
	MasterKey                       []byte
	Now                             func() time.Time
	Log                             *slog.Logger
}

type keyManager struct {
	alg    string
	kid    string
	signer crypto.Signer
	doc    []byte
	maxAge time.Duration
}

func newKeyManager(_ Store, c keyConfig) (*keyManager, error) {
	m := &keyManager{alg: c.Alg, kid: "placeholder-" + c.Alg, maxAge: c.JWKSMaxAge}
	jwk := map[string]any{"kid": m.kid, "alg": c.Alg, "use": "sig"}
	b64 := base64.RawURLEncoding.EncodeToString
	switch c.Alg {
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		m.signer = k
		x, y := make([]byte, 32), make([]byte, 32)
		k.X.FillBytes(x)
		k.Y.FillBytes(y)
		jwk["kty"], jwk["crv"], jwk["x"], jwk["y"] = "EC", "P-256", b64(x), b64(y)
	case "EdDSA":
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		m.signer = priv
		jwk["kty"], jwk["crv"], jwk["x"] = "OKP", "Ed25519", b64(pub)
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		m.signer = k
		jwk["kty"], jwk["n"], jwk["e"] = "RSA", b64(k.N.Bytes()), b64(big.NewInt(int64(k.E)).Bytes())
	default:
		return nil, errors.New("unknown algorithm")
	}
	doc, err := json.Marshal(map[string]any{"keys": []any{jwk}})
	if err != nil {
		return nil, err
	}
	m.doc = doc
	return m, nil
}

func (m *keyManager) start()                      {}
func (m *keyManager) ready(context.Context) error { return nil }
func (m *keyManager) close()                      {}

func (m *keyManager) sign(_ context.Context, claims []byte) (string, error) {
	hdr, _ := json.Marshal(map[string]string{"alg": m.alg, "kid": m.kid, "typ": "JWT"})
	enc := base64.RawURLEncoding
	in := enc.EncodeToString(hdr) + "." + enc.EncodeToString(claims)
	var sig []byte
	switch k := m.signer.(type) {
	case *ecdsa.PrivateKey:
		h := sha256.Sum256([]byte(in))
		r, s, err := ecdsa.Sign(rand.Reader, k, h[:])
		if err != nil {
			return "", err
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(in))
	case *rsa.PrivateKey:
		h := sha256.Sum256([]byte(in))
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:]); err != nil {
			return "", err
		}
	}
	return in + "." + enc.EncodeToString(sig), nil
}

func (m *keyManager) jwks() ([]byte, time.Duration) { return m.doc, m.maxAge }
