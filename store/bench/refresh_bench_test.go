package storebench_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// clients is the number of concurrent clients of the -16clients runs.
const clients = 16

// BenchmarkRefresh is described in doc.go: for each store, raw, store,
// paired (the two alternated in one loop), issuer, and paired and issuer
// with 16 concurrent clients.
func BenchmarkRefresh(b *testing.B) {
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			t := tg.open(b)
			b.Run("raw", func(b *testing.B) { benchRaw(b, t) })
			b.Run("store", func(b *testing.B) { benchStore(b, t) })
			b.Run("paired", func(b *testing.B) { benchPaired(b, t, 1) })
			b.Run("issuer", func(b *testing.B) { benchIssuer(b, t, 1) })
			b.Run("paired-16clients", func(b *testing.B) { benchPaired(b, t, clients) })
			b.Run("issuer-16clients", func(b *testing.B) { benchIssuer(b, t, clients) })
		})
	}
}

func benchRaw(b *testing.B, t target) {
	h := newRows(b, t.rawRows, 1)[0]
	ctx := context.Background()
	u := update()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := t.raw(ctx, h, u); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func benchStore(b *testing.B, t target) {
	h := newRows(b, t.st, 1)[0]
	ctx := context.Background()
	u := update()
	v := uint64(1)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := swap(ctx, t.st, h, &v, u); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// swap is one SwapRefresh from *v, which nothing else writes: a lost swap
// is a failure.
func swap(ctx context.Context, st sessionissuer.Store, h string, v *uint64, u sessionissuer.RefreshUpdate) error {
	rec, ok, err := st.SwapRefresh(ctx, h, *v, u)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("swap from version %d lost", *v)
	}
	*v = rec.Version
	return nil
}

// benchPaired alternates a raw update and a SwapRefresh in one loop (their
// order swapped every iteration), each client on two rows of its own, and
// reports each call's mean latency and store/raw. ns/op is the wall time of
// one pair across all clients.
func benchPaired(b *testing.B, t target, n int) {
	var rawT, storeT, pairs atomic.Int64
	var failed atomic.Value
	client := func(next func() bool, rawH, storeH string) {
		ctx := context.Background()
		u := update()
		v := uint64(1)
		var rawD, storeD time.Duration
		raw := func() error {
			start := time.Now()
			err := t.raw(ctx, rawH, u)
			rawD += time.Since(start)
			return err
		}
		store := func() error {
			start := time.Now()
			err := swap(ctx, t.st, storeH, &v, u)
			storeD += time.Since(start)
			return err
		}
		i := int64(0)
		for next() {
			first, second := raw, store
			if i%2 == 1 {
				first, second = store, raw
			}
			if err := first(); err != nil {
				failed.Store(err)
				break
			}
			if err := second(); err != nil {
				failed.Store(err)
				break
			}
			i++
		}
		rawT.Add(rawD.Nanoseconds())
		storeT.Add(storeD.Nanoseconds())
		pairs.Add(i)
	}
	// RunParallel may round the goroutines up: rows for every one.
	g := 1
	if n > 1 {
		g = max(1, n/runtime.GOMAXPROCS(0)) * runtime.GOMAXPROCS(0)
	}
	rawRows, storeRows := newRows(b, t.rawRows, g), newRows(b, t.st, g)
	b.ReportAllocs()
	b.ResetTimer()
	if n == 1 {
		client(b.Loop, rawRows[0], storeRows[0])
	} else {
		var next atomic.Int64
		b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			k := int(next.Add(1)-1) % g
			client(pb.Next, rawRows[k], storeRows[k])
		})
	}
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	if p := float64(pairs.Load()); p > 0 {
		b.ReportMetric(float64(rawT.Load())/p, "raw-ns/op")
		b.ReportMetric(float64(storeT.Load())/p, "store-ns/op")
		b.ReportMetric(float64(storeT.Load())/float64(rawT.Load()), "store/raw")
		b.ReportMetric(2*p/b.Elapsed().Seconds(), "writes/s")
	}
}

// benchIssuer runs (*Issuer).Refresh, each client on a session of its own
// and always with the refresh token it was last answered.
func benchIssuer(b *testing.B, t target, n int) {
	iss, err := sessionissuer.New(t.st,
		sessionissuer.WithIssuer("https://bench.example"),
		sessionissuer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = iss.Close() })
	g := 1
	if n > 1 {
		g = max(1, n/runtime.GOMAXPROCS(0)) * runtime.GOMAXPROCS(0)
	}
	tokens := make([]string, g)
	for i := range tokens {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		tok, err := iss.Create(ctx, fmt.Sprintf("user-%d", i), map[string]any{"role": "user", "tenant": "acme"},
			sessionissuer.Device{UserAgent: "bench/1.0", IP: "192.0.2.1"})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok.RefreshToken
	}
	var failed atomic.Value
	client := func(next func() bool, rt string) {
		ctx := context.Background()
		for next() {
			tok, err := iss.Refresh(ctx, rt)
			if err != nil {
				failed.Store(err)
				return
			}
			rt = tok.RefreshToken
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if n == 1 {
		client(b.Loop, tokens[0])
	} else {
		var next atomic.Int64
		b.SetParallelism(max(1, n/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			client(pb.Next, tokens[int(next.Add(1)-1)%g])
		})
	}
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	reportRate(b)
}

// reportRate adds refreshes (or writes) per second of wall time.
func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "refreshes/s")
	}
}
