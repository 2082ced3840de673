package sqlitestore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// BenchmarkRefresh compares one refresh's store work with the least the
// driver can do for it, on a file with this package's schema and pragmas
// (WAL, synchronous=FULL: every commit is fsynced):
//
//	raw:    one UPDATE of the refresh columns by handle, through database/sql
//	store:  Store.SwapRefresh (UPDATE ... RETURNING the row, version checked)
//	issuer: (*sessionissuer.Issuer).Refresh over the Store, rotating the
//	        refresh token each iteration (state decode, MAC, sign ES256, swap)
func BenchmarkRefresh(b *testing.B) {
	b.Run("sqlite/raw", func(b *testing.B) { benchRaw(b, 1) })
	b.Run("sqlite/store", func(b *testing.B) { benchStore(b, 1) })
	b.Run("sqlite/issuer", func(b *testing.B) { benchIssuer(b, 1) })
}

// BenchmarkRefreshNoSync is BenchmarkRefresh with synchronous=OFF (no
// fsync, not durable: never shipped), to show what the Store and the issuer
// cost over the raw UPDATE once the disk is out of the picture.
func BenchmarkRefreshNoSync(b *testing.B) {
	b.Run("sqlite/raw", func(b *testing.B) { benchRaw(b, 1, sqlitestore.WithSynchronous("OFF")) })
	b.Run("sqlite/store", func(b *testing.B) { benchStore(b, 1, sqlitestore.WithSynchronous("OFF")) })
	b.Run("sqlite/issuer", func(b *testing.B) { benchIssuer(b, 1, sqlitestore.WithSynchronous("OFF")) })
}

// BenchmarkRefreshParallel is BenchmarkRefresh's throughput with 16
// concurrent clients (goroutines), each refreshing a session of its own.
func BenchmarkRefreshParallel(b *testing.B) {
	b.Run("sqlite/raw", func(b *testing.B) { benchRaw(b, 16) })
	b.Run("sqlite/store", func(b *testing.B) { benchStore(b, 16) })
	b.Run("sqlite/issuer", func(b *testing.B) { benchIssuer(b, 16) })
}

// BenchmarkRefreshPaired alternates the raw UPDATE and Store.SwapRefresh
// iteration by iteration on one file and reports each one's mean and their
// ratio: on a disk shared with other work, fsync latency drifts between
// separate benchmark runs far more than the two differ.
func BenchmarkRefreshPaired(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchPaired(b) })
	b.Run("sqlite-nosync", func(b *testing.B) { benchPaired(b, sqlitestore.WithSynchronous("OFF")) })
}

func benchPaired(b *testing.B, opts ...sqlitestore.Option) {
	st := newStore(b, opts...)
	mustCreate(b, st, record("raw", "alice", 0), record("store", "alice", 0))
	sync, _ := sqlitestore.Pragma(context.Background(), st, "synchronous")
	db, err := sql.Open("sqlite", "file:"+pathOf(b, st)+"?_pragma=synchronous("+sync+")")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	state := refreshState()
	ctx := context.Background()
	version := uint64(1)
	var raw, store time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := db.ExecContext(ctx, `UPDATE sessions SET refresh = ?, refreshed_at = ?, expires_at = ?, version = version + 1 WHERE handle = ?`,
			state, t0.UnixNano(), t0.Add(time.Hour).UnixNano(), "raw"); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		rec, ok, err := st.SwapRefresh(ctx, "store", version,
			sessionissuer.RefreshUpdate{Refresh: state, RefreshedAt: t1, ExpiresAt: t1.Add(time.Hour)})
		if err != nil || !ok {
			b.Fatalf("SwapRefresh = %v, %v", ok, err)
		}
		version = rec.Version
		t2 := time.Now()
		raw += t1.Sub(t0)
		store += t2.Sub(t1)
	}
	b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "raw-ns/op")
	b.ReportMetric(float64(store.Nanoseconds())/float64(b.N), "store-ns/op")
	b.ReportMetric(float64(store)/float64(raw), "store/raw")
}

// refreshState stands in for the issuer's encoded refresh state.
func refreshState() []byte {
	b := make([]byte, 600)
	rand.Read(b)
	return b
}

// run calls op(client, i) b.N times in all, from clients goroutines.
func run(b *testing.B, clients int, op func(client, i int) error) {
	b.ReportAllocs()
	b.ResetTimer()
	if clients == 1 {
		for i := range b.N {
			if err := op(0, i); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		client := int(next.Add(1) - 1)
		for i := 0; pb.Next(); i++ {
			if err := op(client, i); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchSessions(b *testing.B, st sessionissuer.Store, n int) []string {
	var handles []string
	for i := range n * runtime.GOMAXPROCS(0) { // RunParallel may round the goroutines up
		h := fmt.Sprintf("bench-%d", i)
		mustCreate(b, st, record(h, "alice", 0))
		handles = append(handles, h)
	}
	return handles
}

func benchRaw(b *testing.B, clients int, opts ...sqlitestore.Option) {
	st := newStore(b, opts...)
	handles := benchSessions(b, st, clients)
	sync, _ := sqlitestore.Pragma(context.Background(), st, "synchronous") // the Store's setting
	db, err := sql.Open("sqlite", "file:"+pathOf(b, st)+"?_pragma=synchronous("+sync+")")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one writer, as the Store has
	state := refreshState()
	ctx := context.Background()
	run(b, clients, func(client, _ int) error {
		now := time.Now()
		_, err := db.ExecContext(ctx, `UPDATE sessions SET refresh = ?, refreshed_at = ?, expires_at = ?, version = version + 1 WHERE handle = ?`,
			state, now.UnixNano(), now.Add(time.Hour).UnixNano(), handles[client])
		return err
	})
}

func benchStore(b *testing.B, clients int, opts ...sqlitestore.Option) {
	st := newStore(b, opts...)
	handles := benchSessions(b, st, clients)
	versions := make([]uint64, len(handles))
	for i := range versions {
		versions[i] = 1
	}
	state := refreshState()
	ctx := context.Background()
	run(b, clients, func(client, _ int) error {
		now := time.Now()
		rec, ok, err := st.SwapRefresh(ctx, handles[client], versions[client],
			sessionissuer.RefreshUpdate{Refresh: state, RefreshedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil || !ok {
			return fmt.Errorf("SwapRefresh = %v, %v", ok, err)
		}
		versions[client] = rec.Version
		return nil
	})
}

func benchIssuer(b *testing.B, clients int, opts ...sqlitestore.Option) {
	st := newStore(b, opts...)
	iss, err := sessionissuer.New(st,
		sessionissuer.WithIssuer("https://bench.example"),
		sessionissuer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	ctx := context.Background()
	tokens := make([]string, clients*runtime.GOMAXPROCS(0))
	for i := range tokens {
		tok, err := iss.Create(ctx, fmt.Sprintf("user-%d", i), map[string]any{"role": "admin"},
			sessionissuer.Device{UserAgent: "bench", IP: "192.0.2.1"})
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok.RefreshToken
	}
	run(b, clients, func(client, _ int) error {
		tok, err := iss.Refresh(ctx, tokens[client])
		if err != nil {
			return err
		}
		tokens[client] = tok.RefreshToken
		return nil
	})
}
