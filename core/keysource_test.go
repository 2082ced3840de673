package sessionguard_test

// Key source tests (keysource.go, keystore.go): explicit keys, static sets
// and secrets, and the configuration errors New reports for a source.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestKeySetExplicitKeys(t *testing.T) {
	newErr := func(src *sessionguard.KeySource) error {
		v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, src), quiet)
		if err == nil {
			_ = v.Close()
		}
		return err
	}

	t.Run("PublicKeys RSA 1024 refused", func(t *testing.T) {
		weak := sgtest.NewWeakRSAKey(1024, "weak")
		if newErr(sessionguard.PublicKeys(sessionguard.PublicKey{ID: "weak", Key: weak.Public()})) == nil {
			t.Fatal("1024-bit RSA key accepted")
		}
	})
	t.Run("PublicKeys empty, P-224, private key, mismatched alg refused", func(t *testing.T) {
		p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
		es := sgtest.NewKey("ES256", "es")
		for i, src := range []*sessionguard.KeySource{
			sessionguard.PublicKeys(),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: &p224.PublicKey}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: es.Signer}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: es.Public(), Algorithm: "RS256"}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: es.Public(), Algorithm: "HS256"}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: nil}),
		} {
			if newErr(src) == nil {
				t.Fatalf("source %d accepted", i)
			}
		}
	})
	t.Run("PublicKeys verify", func(t *testing.T) {
		k := sgtest.NewKey("RS256", "rsa")
		_, g := newGuard(t, sessionguard.PublicKeys(sessionguard.PublicKey{ID: "rsa", Algorithm: "RS256", Key: k.Public()}))
		mustVerify(t, g, mint(k))
	})
	t.Run("StaticJWKS with no usable key refused", func(t *testing.T) {
		weak := sgtest.NewWeakRSAKey(1024, "weak")
		hs := sgtest.NewKey("HS256", "hs")
		for i, doc := range [][]byte{
			sgtest.JWKS(weak, hs),
			[]byte(`{"keys":[]}`),
			[]byte(`{}`),
			[]byte(`not json`),
			nil,
		} {
			if newErr(sessionguard.StaticJWKS(doc)) == nil {
				t.Fatalf("document %d accepted", i)
			}
		}
	})
	t.Run("StaticJWKS ignores oct and weak keys", func(t *testing.T) {
		weak := sgtest.NewWeakRSAKey(1024, "weak")
		hs := sgtest.NewKey("HS256", "hs")
		es := sgtest.NewKey("ES256", "es")
		v, g := newGuard(t, sessionguard.StaticJWKS(sgtest.JWKS(weak, hs, es)))
		ready(t, v, time.Second)
		mustVerify(t, g, mint(es))
		_, err := check(g, mint(weak))
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		// HS256 is not allowed without an HMACSecret: the token is not ours.
		_, err = check(g, mint(hs))
		mustFail(t, err, sessionguard.ErrUnauthorised, sessionguard.ErrNoToken)
	})
	t.Run("HMACSecret shorter than 32 bytes refused", func(t *testing.T) {
		for _, n := range []int{0, 1, 16, 31} {
			if newErr(sessionguard.HMACSecret("", "HS256", make([]byte, n))) == nil {
				t.Fatalf("%d-byte secret accepted", n)
			}
		}
		if newErr(sessionguard.HMACSecret("", "RS256", make([]byte, 32))) == nil {
			t.Fatal("HMACSecret with alg RS256 accepted")
		}
		if err := newErr(sessionguard.HMACSecret("", "HS256", bytes.Repeat([]byte{7}, 32))); err != nil {
			t.Fatalf("32-byte secret refused: %v", err)
		}
	})
	t.Run("HS256 verifies only with HMACSecret", func(t *testing.T) {
		hs := sgtest.NewKey("HS256", "hs")
		tok := mint(hs)
		v, g := newGuard(t, sessionguard.HMACSecret("hs", "HS256", hs.Secret))
		ready(t, v, time.Second)
		mustVerify(t, g, tok)

		// A different secret: signature failure.
		_, g2 := newGuard(t, sessionguard.HMACSecret("hs", "HS256", bytes.Repeat([]byte{1}, 32)))
		_, err := check(g2, tok)
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrSignatureInvalid)

		// Asymmetric sources, even holding the secret as an oct JWK: the
		// HS256 token is not ours.
		es := sgtest.NewKey("ES256", "es")
		for name, src := range map[string]*sessionguard.KeySource{
			"static with oct": sessionguard.StaticJWKS(sgtest.JWKS(hs, es)),
			"public keys":     sessionguard.PublicKeys(sessionguard.PublicKey{ID: "es", Key: es.Public()}),
		} {
			_, g := newGuard(t, src)
			_, err := check(g, tok)
			if !errors.Is(err, sessionguard.ErrUnauthorised) || !errors.Is(err, sessionguard.ErrNoToken) {
				t.Fatalf("%s: HS256 token gave %v", name, err)
			}
		}
		// A remote set with the oct key: ignored too.
		srv := sgtest.NewJWKSServer(hs, es)
		t.Cleanup(srv.Close)
		v3, g3 := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		ready(t, v3, 5*time.Second)
		_, err = check(g3, tok)
		mustFail(t, err, sessionguard.ErrUnauthorised, sessionguard.ErrNoToken)
		// Even if HS256 is forced on for an asymmetric source, New refuses.
		if _, err := sessionguard.New(sessionguard.WithIssuer(ksIss, sessionguard.StaticJWKS(sgtest.JWKS(es))),
			sessionguard.WithAlgorithms("HS256"), quiet); err == nil {
			t.Fatal("HS256 allowed without an HMACSecret")
		}
	})
}

func TestKeySourceInvalidKeys(t *testing.T) {
	newErr := func(src *sessionguard.KeySource) error {
		v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, src), quiet)
		if err == nil {
			_ = v.Close()
		}
		return err
	}
	ec := sgtest.NewKey("ES256", "bad").Public().(*ecdsa.PublicKey)
	rsaPub := sgtest.NewKey("RS256", "rsa").Public().(*rsa.PublicKey)
	for name, key := range map[string]crypto.PublicKey{
		"EC point off its curve":  &ecdsa.PublicKey{Curve: ec.Curve, X: ec.X, Y: new(big.Int).Add(ec.Y, big.NewInt(1))},
		"EC point at infinity":    &ecdsa.PublicKey{Curve: ec.Curve, X: new(big.Int), Y: new(big.Int)},
		"EC key without a point":  &ecdsa.PublicKey{Curve: ec.Curve},
		"RSA exponent 1":          &rsa.PublicKey{N: rsaPub.N, E: 1},
		"RSA exponent even":       &rsa.PublicKey{N: rsaPub.N, E: 65536},
		"RSA modulus even":        &rsa.PublicKey{N: new(big.Int).Add(rsaPub.N, big.NewInt(1)), E: 65537},
		"RSA modulus over 16384":  &rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 16400), big.NewInt(1)), E: 65537},
		"Ed25519 key of 31 bytes": ed25519.PublicKey(make([]byte, 31)),
	} {
		t.Run("PublicKeys: "+name, func(t *testing.T) {
			if err := newErr(sessionguard.PublicKeys(sessionguard.PublicKey{ID: "k", Key: key})); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	t.Run("StaticJWKS with an off-curve key beside a good one", func(t *testing.T) {
		a, bad := sgtest.NewKey("ES256", "a"), sgtest.NewKey("ES256", "bad")
		if err := newErr(sessionguard.StaticJWKS(jwksOf(a.JWK(), offCurveJWK(t, bad)))); err == nil {
			t.Fatal("New accepted a static set with an off-curve key")
		}
	})
	t.Run("valid keys still accepted", func(t *testing.T) {
		ed := sgtest.NewKey("EdDSA", "ed")
		if err := newErr(sessionguard.PublicKeys(
			sessionguard.PublicKey{ID: "ec", Key: ec},
			sessionguard.PublicKey{ID: "rsa", Key: rsaPub},
			sessionguard.PublicKey{ID: "ed", Key: ed.Public()})); err != nil {
			t.Fatal(err)
		}
	})
}
