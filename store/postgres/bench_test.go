package pgstore_test

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
)

// benchClients is the number of concurrent clients of the parallel runs.
const benchClients = 16

// BenchmarkRefresh compares one UPDATE by key through pgx ("raw") with the
// store's refresh compare-and-swap ("store"), serially and with 16
// concurrent clients each refreshing its own session.
func BenchmarkRefresh(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		s := newStore(b)
		url16 := withParam(serverURL(), "pool_max_conns=16")
		pool, err := pgxpool.New(context.Background(), url16)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(pool.Close)
		par := openStoreURL(b, url16, s.Schema())
		raw := "UPDATE " + pgx.Identifier{s.Schema(), "sessionguard_sessions"}.Sanitize() +
			" SET refresh = $2, refreshed_at = $3, expires_at = $4, version = version + 1 WHERE handle = $1"

		b.Run("raw", func(b *testing.B) {
			h := benchRows(b, s, 1)[0]
			benchSerial(b, func(ctx context.Context, _ uint64, u sessionissuer.RefreshUpdate) error {
				_, err := pool.Exec(ctx, raw, h, u.Refresh, u.RefreshedAt, u.ExpiresAt)
				return err
			})
		})
		b.Run("store", func(b *testing.B) {
			h := benchRows(b, s, 1)[0]
			benchSerial(b, func(ctx context.Context, v uint64, u sessionissuer.RefreshUpdate) error {
				return swapOK(b, s, ctx, h, v, u)
			})
		})
		b.Run("issuer", func(b *testing.B) {
			iss := benchIssuer(b, s)
			tok := benchSession(b, iss)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				next, err := iss.Refresh(context.Background(), tok)
				if err != nil {
					b.Fatal(err)
				}
				tok = next.RefreshToken
			}
		})
		b.Run("raw/clients=16", func(b *testing.B) {
			handles := benchRows(b, s, benchClients)
			benchParallel(b, handles, func(ctx context.Context, h string, _ uint64, u sessionissuer.RefreshUpdate) error {
				_, err := pool.Exec(ctx, raw, h, u.Refresh, u.RefreshedAt, u.ExpiresAt)
				return err
			})
		})
		b.Run("store/clients=16", func(b *testing.B) {
			handles := benchRows(b, s, benchClients)
			benchParallel(b, handles, func(ctx context.Context, h string, v uint64, u sessionissuer.RefreshUpdate) error {
				return swapOK(b, par, ctx, h, v, u)
			})
		})
		b.Run("issuer/clients=16", func(b *testing.B) {
			iss := benchIssuer(b, par)
			toks := make([]string, benchClients)
			for i := range toks {
				toks[i] = benchSession(b, iss)
			}
			var next atomic.Int64
			b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				tok := toks[int(next.Add(1)-1)%len(toks)]
				for pb.Next() {
					t, err := iss.Refresh(context.Background(), tok)
					if err != nil {
						b.Error(err)
						return
					}
					tok = t.RefreshToken
				}
			})
		})
	})
}

// withParam adds a query parameter to a postgres:// URL.
func withParam(url, param string) string {
	if strings.Contains(url, "?") {
		return url + "&" + param
	}
	return url + "?" + param
}

func benchIssuer(b *testing.B, s *pgstore.Store) *sessionissuer.Issuer {
	b.Helper()
	iss, err := sessionissuer.New(s, sessionissuer.WithIssuer("https://bench.example"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = iss.Close() })
	return iss
}

// benchSession starts a session and returns its refresh token (Create waits
// for the signing keys, so the timed loop does not).
func benchSession(b *testing.B, iss *sessionissuer.Issuer) string {
	b.Helper()
	tok, err := iss.Create(context.Background(), "bench", map[string]any{"role": "user", "tenant": "acme"},
		sessionissuer.Device{UserAgent: "bench/1.0", IP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	return tok.RefreshToken
}

func swapOK(b *testing.B, s *pgstore.Store, ctx context.Context, h string, v uint64, u sessionissuer.RefreshUpdate) error {
	_, ok, err := s.SwapRefresh(ctx, h, v, u)
	if err == nil && !ok {
		b.Fatalf("swap from version %d lost: nothing else writes this row", v)
	}
	return err
}

// benchRows creates n sessions with a realistic refresh state and payload.
func benchRows(b *testing.B, s *pgstore.Store, n int) []string {
	b.Helper()
	hs := make([]string, n)
	for i := range hs {
		rec := newRecord("bench", now())
		rec.Refresh = make([]byte, 200)
		rec.Payload = []byte(`{"role":"user","tenant":"acme","scopes":["read","write"]}`)
		mustCreate(b, s, rec)
		hs[i] = rec.Handle
	}
	return hs
}

func benchSerial(b *testing.B, refresh func(context.Context, uint64, sessionissuer.RefreshUpdate) error) {
	ctx := context.Background()
	u := sessionissuer.RefreshUpdate{Refresh: make([]byte, 200)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := time.Now()
		u.RefreshedAt, u.ExpiresAt = t, t.Add(30*24*time.Hour)
		if err := refresh(ctx, uint64(i)+1, u); err != nil {
			b.Fatal(err)
		}
	}
}

func benchParallel(b *testing.B, handles []string, refresh func(context.Context, string, uint64, sessionissuer.RefreshUpdate) error) {
	var next atomic.Int64
	b.SetParallelism((benchClients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		h := handles[int(next.Add(1)-1)%len(handles)]
		u := sessionissuer.RefreshUpdate{Refresh: make([]byte, 200)}
		v := uint64(1)
		for pb.Next() {
			t := time.Now()
			u.RefreshedAt, u.ExpiresAt = t, t.Add(30*24*time.Hour)
			if err := refresh(ctx, h, v, u); err != nil {
				b.Error(err)
				return
			}
			v++
		}
	})
}
