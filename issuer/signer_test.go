package sessionissuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Every algorithm's tokens verify in the core, through the JWKS document and
// through the in-process keys; a changed token does not.
func TestEachAlgorithmVerifies(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			clk := newTestClock()
			m := newTestManager(t, newKeyStore(), clk, keyConfig{Alg: alg})
			mustStep(t, m)
			tok, err := m.sign(context.Background(), claimsAt(clk.Now(), 15*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			h := tokenHeader(t, tok)
			if len(h) != 3 || h["alg"] != alg || h["typ"] != "JWT" || h["kid"] != m.ring.Load().keys[0].kid {
				t.Fatalf("header %v", h)
			}
			head, _, _ := strings.Cut(tok, ".")
			raw, _ := b64.DecodeString(head)
			if want := `{"alg":"` + alg + `","kid":"` + h["kid"] + `","typ":"JWT"}`; string(raw) != want {
				t.Fatalf("header %s, want %s", raw, want)
			}

			doc, _ := m.jwks()
			var v jwksVerifier
			v.use(t, doc, clk)
			s, err := v.check(tok)
			if err != nil {
				t.Fatalf("JWKS verifier: %v", err)
			}
			if s.Subject() != "user-1" || s.Issuer() != testIssuer {
				t.Fatalf("session %q %q", s.Subject(), s.Issuer())
			}

			keys, _, err := m.loader().LoadKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			vf, err := sessionguard.New(sessionguard.WithIssuer(testIssuer, sessionguard.PublicKeys(keys...)), sessionguard.WithClock(clk.Now))
			if err != nil {
				t.Fatal(err)
			}
			defer vf.Close()
			g, _ := vf.Required()
			req := func(tok string) sessionguard.Request {
				return sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok}}}
			}
			if _, err := g.Check(context.Background(), req(tok)); err != nil {
				t.Fatalf("in-process keys: %v", err)
			}

			parts := strings.Split(tok, ".")
			forged := parts[0] + "." + b64.EncodeToString(claimsAt(clk.Now(), time.Hour)) + "." + parts[2]
			if _, err := v.check(forged); err == nil {
				t.Fatal("changed claims verified")
			}
			sig, _ := b64.DecodeString(parts[2])
			sig[len(sig)/2] ^= 1
			if _, err := v.check(parts[0] + "." + parts[1] + "." + b64.EncodeToString(sig)); err == nil {
				t.Fatal("changed signature verified")
			}
		})
	}
}

// ES256 signatures are R || S, 64 bytes (RFC 7518 §3.4), not ASN.1 DER.
func TestES256SignatureIsFixedWidth(t *testing.T) {
	k, _ := generateKey("ES256")
	priv := k.(*ecdsa.PrivateKey)
	in := []byte("header.payload")
	for i := 0; i < 200; i++ {
		sig, err := jwsSign("ES256", priv, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != 64 {
			t.Fatalf("signature of %d bytes", len(sig))
		}
		var asn struct{ R, S *big.Int }
		if rest, err := asn1.Unmarshal(sig, &asn); err == nil && len(rest) == 0 {
			t.Fatal("signature is ASN.1")
		}
		h := sha256.Sum256(in)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(&priv.PublicKey, h[:], r, s) {
			t.Fatal("R || S does not verify")
		}
	}
}

// RFC 8037 Appendix A.4: Ed25519 is deterministic, so the example's JWS is
// reproduced byte for byte.
func TestEdDSARFC8037Vector(t *testing.T) {
	d, _ := b64.DecodeString("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
	priv := ed25519.NewKeyFromSeed(d)
	in := []byte("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc")
	sig, err := jwsSign("EdDSA", priv, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := b64.EncodeToString(sig); got != "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg" {
		t.Fatalf("signature %s", got)
	}
}

func TestSignRefusesMismatchedKey(t *testing.T) {
	keys := testKeys(t)
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		for other, k := range keys {
			if other == alg {
				if !keyMatchesAlg(k, alg) {
					t.Fatalf("%s key does not match %s", other, alg)
				}
				continue
			}
			if keyMatchesAlg(k, alg) {
				t.Fatalf("%s key matches %s", other, alg)
			}
			if _, err := jwsSign(alg, k, []byte("x")); err == nil {
				t.Fatalf("%s signed with a %s key", alg, other)
			}
		}
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	if keyMatchesAlg(small, "RS256") {
		t.Fatal("1024-bit RSA accepted")
	}
	if _, err := generateKey("PS256"); err == nil {
		t.Fatal("PS256 generated")
	}
}

// BenchmarkSign measures the keyManager's sign against the bare crypto call
// over a signing input of the same size, alternating the two in one loop so
// that a shared machine's load affects both alike. ns/op is the sum; the
// metrics sign-ns/op, bare-ns/op and ratio split it.
func BenchmarkSign(b *testing.B) {
	claims := claimsAt(time.Unix(1_800_000_000, 0), 15*time.Minute)
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		b.Run(alg, func(b *testing.B) {
			m := newTestManager(b, newKeyStore(), nil, keyConfig{Alg: alg})
			mustStep(b, m)
			k := m.ring.Load().keys[0]
			in := signingInput(k.header, claims, 0)
			bare := func() error {
				switch p := k.priv.(type) {
				case *ecdsa.PrivateKey:
					h := sha256.Sum256(in)
					_, _, err := ecdsa.Sign(rand.Reader, p, h[:])
					return err
				case ed25519.PrivateKey:
					_ = ed25519.Sign(p, in)
				case *rsa.PrivateKey:
					h := sha256.Sum256(in)
					_, err := rsa.SignPKCS1v15(nil, p, crypto.SHA256, h[:])
					return err
				}
				return nil
			}
			ctx := context.Background()
			var signT, bareT time.Duration
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				if _, err := m.sign(ctx, claims); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := bare(); err != nil {
					b.Fatal(err)
				}
				signT, bareT = signT+t1.Sub(t0), bareT+time.Since(t1)
			}
			n := float64(b.N)
			b.ReportMetric(float64(signT.Nanoseconds())/n, "sign-ns/op")
			b.ReportMetric(float64(bareT.Nanoseconds())/n, "bare-ns/op")
			b.ReportMetric(float64(signT)/float64(bareT), "ratio")
		})
	}
}
