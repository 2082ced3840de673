package redisstore_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// clients is the number of concurrent refreshing clients of the parallel
// benchmarks.
const clients = 16

// BenchmarkRefresh measures one refresh promotion: raw is the swap script
// called by hand with go-redis, store is [redisstore.Store.SwapRefresh]
// (the same call plus argument building and decoding the row), issuer is a
// whole [sessionissuer.Issuer.Refresh] (refresh-state decoding, token
// rotation, the swap, and signing an ES256 access token). store-vs-raw
// alternates the two calls in one loop and reports each one's mean and
// their ratio, which a machine shared with other work leaves far steadier
// than two separate runs. The -16clients variants run 16 clients at once,
// each on its own session.
func BenchmarkRefresh(b *testing.B) {
	b.Run("redis/raw", func(b *testing.B) { benchSwap(b, false, 1) })
	b.Run("redis/store", func(b *testing.B) { benchSwap(b, true, 1) })
	b.Run("redis/issuer", func(b *testing.B) { benchIssuer(b, 1) })
	b.Run("redis/store-vs-raw", func(b *testing.B) { benchInterleaved(b, 1) })
	b.Run("redis/raw-16clients", func(b *testing.B) { benchSwap(b, false, clients) })
	b.Run("redis/store-16clients", func(b *testing.B) { benchSwap(b, true, clients) })
	b.Run("redis/issuer-16clients", func(b *testing.B) { benchIssuer(b, clients) })
	b.Run("redis/store-vs-raw-16clients", func(b *testing.B) { benchInterleaved(b, clients) })
}

func benchSwap(b *testing.B, store bool, n int) {
	s := newStore(b)
	ctx := context.Background()
	// Load the script (RawSwap calls EVALSHA alone).
	warm := record("bench", now())
	mustCreate(b, s, warm)
	if _, _, err := s.SwapRefresh(ctx, warm.Handle, 1, sessionissuer.RefreshUpdate{RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	u := sessionissuer.RefreshUpdate{Refresh: make([]byte, 200), RefreshedAt: now(), ExpiresAt: now().Add(30 * 24 * time.Hour)}
	one := func(rec *sessionissuer.Record, version *uint64) {
		if store {
			got, ok, err := s.SwapRefresh(ctx, rec.Handle, *version, u)
			if err != nil || !ok || got == nil {
				b.Errorf("SwapRefresh = %v, %v", ok, err)
			}
		} else {
			v, err := s.RawSwap(ctx, rec.Handle, *version, u)
			if err != nil || len(v) < 2 || v[0] != int64(1) {
				b.Errorf("raw swap = %v, %v", v, err)
			}
		}
		*version++
	}
	newRow := func() *sessionissuer.Record {
		r := record("bench", now())
		r.Refresh = make([]byte, 200)
		if err := s.Create(ctx, r); err != nil {
			b.Errorf("Create: %v", err)
		}
		return r
	}
	b.ReportAllocs()
	if n == 1 {
		rec, version := newRow(), uint64(1)
		b.ResetTimer()
		for b.Loop() {
			one(rec, &version)
		}
		return
	}
	b.SetParallelism(max(1, n/runtimeProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rec, version := newRow(), uint64(1)
		for pb.Next() {
			one(rec, &version)
		}
	})
}

func benchIssuer(b *testing.B, n int) {
	s := newStore(b)
	iss, err := sessionissuer.New(s,
		sessionissuer.WithIssuer("https://bench.example"),
		sessionissuer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = iss.Close() })
	ctx := context.Background()
	create := func() string {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		tok, err := iss.Create(cctx, "bench", map[string]any{"role": "user"}, sessionissuer.Device{UserAgent: "bench"})
		if err != nil {
			b.Errorf("Create: %v", err)
			return ""
		}
		return tok.RefreshToken
	}
	var failures atomic.Int64
	refresh := func(rt *string) {
		tok, err := iss.Refresh(ctx, *rt)
		if err != nil {
			failures.Add(1)
			return
		}
		*rt = tok.RefreshToken
	}
	b.ReportAllocs()
	if n == 1 {
		rt := create()
		b.ResetTimer()
		for b.Loop() {
			refresh(&rt)
		}
	} else {
		b.SetParallelism(max(1, n/runtimeProcs()))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			rt := create()
			for pb.Next() {
				refresh(&rt)
			}
		})
	}
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d refreshes failed", f)
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// benchInterleaved times a raw script call and a SwapRefresh alternately
// (their order swapped every iteration), each client on two rows of its
// own. The metrics are the mean latency of each call and their ratio.
func benchInterleaved(b *testing.B, n int) {
	s := newStore(b)
	ctx := context.Background()
	u := sessionissuer.RefreshUpdate{Refresh: make([]byte, 200), RefreshedAt: now(), ExpiresAt: now().Add(30 * 24 * time.Hour)}
	warm := record("bench", now())
	mustCreate(b, s, warm)
	if _, _, err := s.SwapRefresh(ctx, warm.Handle, 1, u); err != nil { // loads the script
		b.Fatal(err)
	}
	var rawT, storeT, calls atomic.Int64
	client := func(next func() bool) {
		var rows [2]*sessionissuer.Record
		for i := range rows {
			rows[i] = record("bench", now())
			rows[i].Refresh = make([]byte, 200)
			if err := s.Create(ctx, rows[i]); err != nil {
				b.Errorf("Create: %v", err)
				return
			}
		}
		rawV, storeV := uint64(1), uint64(1)
		var rawD, storeD time.Duration
		raw := func() {
			start := time.Now()
			v, err := s.RawSwap(ctx, rows[0].Handle, rawV, u)
			rawD += time.Since(start)
			if err != nil || len(v) < 2 || v[0] != int64(1) {
				b.Errorf("raw swap = %v, %v", v, err)
			}
			rawV++
		}
		store := func() {
			start := time.Now()
			_, ok, err := s.SwapRefresh(ctx, rows[1].Handle, storeV, u)
			storeD += time.Since(start)
			if err != nil || !ok {
				b.Errorf("SwapRefresh = %v, %v", ok, err)
			}
			storeV++
		}
		i := int64(0)
		for next() {
			if i%2 == 0 {
				raw()
				store()
			} else {
				store()
				raw()
			}
			i++
		}
		rawT.Add(rawD.Nanoseconds())
		storeT.Add(storeD.Nanoseconds())
		calls.Add(i)
	}
	b.ReportAllocs()
	if n == 1 {
		client(b.Loop)
	} else {
		b.SetParallelism(max(1, n/runtimeProcs()))
		b.RunParallel(func(pb *testing.PB) { client(pb.Next) })
	}
	if c := float64(calls.Load()); c > 0 {
		b.ReportMetric(float64(rawT.Load())/c, "raw-ns/op")
		b.ReportMetric(float64(storeT.Load())/c, "store-ns/op")
		b.ReportMetric(float64(storeT.Load())/float64(rawT.Load()), "store/raw")
	}
}
