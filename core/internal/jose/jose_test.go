package jose

// Local checks of key material (FromPublic, ParseSet): what jwx leaves out.

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
)

func TestFromPublicRefusesBrokenMaterial(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	one := big.NewInt(1)
	for name, pub := range map[string]any{
		"EC y+1":          &ecdsa.PublicKey{Curve: ec.Curve, X: ec.X, Y: new(big.Int).Add(ec.Y, one)},
		"EC identity":     &ecdsa.PublicKey{Curve: ec.Curve, X: new(big.Int), Y: new(big.Int)},
		"EC no point":     &ecdsa.PublicKey{Curve: ec.Curve},
		"RSA e=1":         &rsa.PublicKey{N: rk.N, E: 1},
		"RSA e=3 even N":  &rsa.PublicKey{N: new(big.Int).Add(rk.N, one), E: 3},
		"RSA e even":      &rsa.PublicKey{N: rk.N, E: 4},
		"RSA e too big":   &rsa.PublicKey{N: rk.N, E: 1 << 31},
		"RSA no modulus":  &rsa.PublicKey{E: 65537},
		"RSA N too big":   &rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(one, MaxRSABits), one), E: 65537},
		"Ed25519 33 byte": ed25519.PublicKey(make([]byte, 33)),
	} {
		if _, err := FromPublic("k", "", pub); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", name, err)
		}
	}
	if _, err := FromPublic("k", "", &rsa.PublicKey{N: new(big.Int).Lsh(one, 1023).Add(new(big.Int).Lsh(one, 1023), one), E: 65537}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("1024-bit RSA: err = %v, want ErrWeakKey", err)
	}
	for name, pub := range map[string]any{"EC": &ec.PublicKey, "RSA": &rk.PublicKey, "RSA e=3": &rsa.PublicKey{N: rk.N, E: 3}} {
		if _, err := FromPublic("k", "", pub); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestFromPublicCopies(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := &ecdsa.PublicKey{Curve: ec.Curve, X: new(big.Int).Set(ec.X), Y: new(big.Int).Set(ec.Y)}
	k, err := FromPublic("k", "", pub)
	if err != nil {
		t.Fatal(err)
	}
	pub.Y.Add(pub.Y, big.NewInt(1)) // the caller changes its value afterwards
	if !k.Public.(*ecdsa.PublicKey).Equal(&ec.PublicKey) {
		t.Fatal("the key changed with the caller's value")
	}
}

func TestParseSetCountsInvalid(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := func(n *big.Int) string { return base64.RawURLEncoding.EncodeToString(n.FillBytes(make([]byte, 32))) }
	jwk := func(y *big.Int) map[string]any {
		return map[string]any{"kty": "EC", "crv": "P-256", "kid": "k", "x": b64(ec.X), "y": b64(y)}
	}
	doc, _ := json.Marshal(map[string]any{"keys": []any{jwk(ec.Y), jwk(new(big.Int).Add(ec.Y, big.NewInt(1)))}})
	keys, st, err := ParseSet(doc, 0)
	if err != nil || len(keys) != 1 || st.Kept != 1 || st.Invalid != 1 {
		t.Fatalf("keys=%d stats=%+v err=%v, want 1 kept and 1 invalid", len(keys), st, err)
	}
}
