package sessionissuer

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

var benchAlgs = []string{"ES256", "EdDSA"}

func benchIssuer(b *testing.B, alg string, opts ...Option) *Issuer {
	b.Helper()
	base := []Option{WithIssuer("https://bench.example"), WithAlgorithm(alg),
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	i, err := New(NewMemoryStore(), append(base, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { i.Close() })
	return i
}

var benchPayload = map[string]any{"role": "admin", "org": "acme"}

// floor is the work no issuer can avoid: one signature with the same key
// over claims of the same size, and one SHA-256 of a refresh token.
func benchFloor(b *testing.B, i *Issuer) {
	ctx := context.Background()
	tok, err := i.Create(ctx, "user-1", benchPayload, Device{})
	if err != nil {
		b.Fatal(err)
	}
	claims := []byte(`{"iss":"https://bench.example","sub":"user-1","sid":"` + tok.Handle + `","iat":1700000000,"exp":1700000900,"org":"acme","role":"admin"}`)
	rt := []byte(tok.RefreshToken)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := i.keys.sign(ctx, claims); err != nil {
			b.Fatal(err)
		}
		sha256.Sum256(rt)
	}
}

func BenchmarkCreate(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run("floor/"+alg, func(b *testing.B) { benchFloor(b, benchIssuer(b, alg)) })
		b.Run("memory/"+alg, func(b *testing.B) {
			i := benchIssuer(b, alg)
			ctx := context.Background()
			dev := Device{UserAgent: "Mozilla/5.0", IP: "192.0.2.1"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := i.Create(ctx, "user-1", benchPayload, dev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRefresh measures the common path: each refresh presents the
// previous answer (row 1, a promotion), a little more than the grace period
// after the previous one (as clients refresh every access lifetime; in a
// tight loop every superseded token would still be within its grace and
// kept in the state).
func BenchmarkRefresh(b *testing.B) {
	for _, alg := range benchAlgs {
		b.Run("floor/"+alg, func(b *testing.B) { benchFloor(b, benchIssuer(b, alg)) })
		b.Run("memory/"+alg, func(b *testing.B) {
			clock := &testClock{t: time.Now()}
			i := benchIssuer(b, alg, WithClock(clock.Now), WithKeyRotation(100*365*24*time.Hour))
			ctx := context.Background()
			tok, err := i.Create(ctx, "user-1", benchPayload, Device{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				clock.Advance(DefaultRefreshGrace + time.Second)
				if tok, err = i.Refresh(ctx, tok.RefreshToken); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCached is a cached verification through the core guard,
// without and with the revocation check (1,000 revoked sessions in the set).
func BenchmarkVerifyCached(b *testing.B) {
	i := benchIssuer(b, "ES256")
	ctx := context.Background()
	tok, err := i.Create(ctx, "user-1", benchPayload, Device{})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for range 1000 {
		h, _ := newHandle()
		i.revs.add(h, now, now)
	}
	if err := i.Ready(ctx); err != nil {
		b.Fatal(err)
	}
	v, err := sessionguard.New(i.VerifierOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	if err := v.Ready(ctx); err != nil {
		b.Fatal(err)
	}
	req := sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok.AccessToken}}}
	plain, err := v.Required()
	if err != nil {
		b.Fatal(err)
	}
	checked, err := v.Required(sessionguard.WithRevocationCheck(i.Revocations()))
	if err != nil {
		b.Fatal(err)
	}
	// interleaved alternates batches of both guards so that load on a
	// shared machine hits both alike, and reports the ratio.
	b.Run("interleaved", func(b *testing.B) {
		const batch = 256
		var tPlain, tChecked time.Duration
		b.ReportAllocs()
		run := func(g *sessionguard.Guard) time.Duration {
			t0 := time.Now()
			for range batch {
				g.Check(ctx, req)
			}
			return time.Since(t0)
		}
		odd := false
		for b.Loop() {
			if odd = !odd; odd { // ABBA: no order effect
				tPlain += run(plain)
				tChecked += run(checked)
			} else {
				tChecked += run(checked)
				tPlain += run(plain)
			}
		}
		b.ReportMetric(float64(tChecked)/float64(tPlain), "revocation/plain")
	})
	for _, c := range []struct {
		name string
		opts []sessionguard.RouteOption
	}{
		{"plain", nil},
		{"revocation", []sessionguard.RouteOption{sessionguard.WithRevocationCheck(i.Revocations())}},
	} {
		b.Run(c.name, func(b *testing.B) {
			g, err := v.Required(c.opts...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := g.Check(ctx, req); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRevoked is the revocation check alone, for a session that was
// not revoked, with 1,000 revocations in the set.
func BenchmarkRevoked(b *testing.B) {
	rs := newRevocationSet(DefaultAccessTTL)
	now := time.Now()
	for range 1000 {
		h, _ := newHandle()
		rs.add(h, now, now)
	}
	sid, _ := newHandle()
	b.ReportAllocs()
	for b.Loop() {
		rs.Revoked(sid)
	}
}
