package sessionguard_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// BenchmarkVerify: <ALG>/raw is the standard library's signature check
// alone, <ALG>/core the full uncached verification of a request view,
// <ALG>/cached a hit of the verified-token cache.
//
// rawVerify is the physical floor: decode the signature, hash the signing
// input and check it with the standard library, nothing else.
func rawVerify(k *sgtest.Key, tok string) bool {
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil {
		return false
	}
	input := []byte(tok[:i])
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		d := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(p, crypto.SHA256, d[:], sig) == nil
	case *ecdsa.PublicKey:
		d := sha256.Sum256(input)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(p, d[:], r, s)
	case ed25519.PublicKey:
		return ed25519.Verify(p, input, sig)
	}
	return false
}

func BenchmarkVerify(b *testing.B) {
	const iss = "https://auth.example.com"
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		k := sgtest.NewKey(alg, "k-"+alg)
		claims := sgtest.Claims(iss, "user-1234567890", time.Hour)
		claims["sid"] = "session-abcdef"
		claims["aud"] = []string{"api.example.com"}
		claims["email"] = "someone@example.com"
		tok := k.Mint(claims)
		newGuard := func(opts ...sessionguard.Option) (*sessionguard.Verifier, *sessionguard.Guard) {
			v, err := sessionguard.New(append(opts,
				sessionguard.WithIssuer(iss, sessionguard.StaticJWKS(sgtest.JWKS(k))),
				sessionguard.WithAudience("api.example.com"))...)
			if err != nil {
				b.Fatal(err)
			}
			g, _ := v.Required()
			return v, g
		}
		v, g := newGuard(sessionguard.WithoutCache())
		cv, cg := newGuard()
		req := sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}
		if !rawVerify(k, tok) {
			b.Fatal("raw verify failed")
		}
		if _, err := g.Check(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		b.Run(alg+"/raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !rawVerify(k, tok) {
					b.Fatal("fail")
				}
			}
		})
		b.Run(alg+"/core", func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, err := g.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/cached", func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, err := cg.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/cached-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := cg.Check(ctx, req); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		v.Close()
		cv.Close()
	}
}
