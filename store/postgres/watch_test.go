package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
)

// TestWatchCatchUp: revocations recorded before the watch are delivered
// first, those before since are not.
func TestWatchCatchUp(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	t0 := now()
	before, after := newRecord("alice", t0), newRecord("alice", t0)
	mustCreate(t, s, before)
	mustCreate(t, s, after)
	if _, err := s.Revoke(ctx, before.Handle, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, after.Handle, t0); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, s, t0) // since == At of "after": included
	if missing := w.waitFor(2*time.Second, after.Handle); missing != nil {
		t.Fatalf("catch-up missed %v", missing)
	}
	if at, _ := w.has(after.Handle); !at.Equal(t0) || at.Location() != time.UTC {
		t.Errorf("At = %v, want %v in UTC", at, t0)
	}
	time.Sleep(100 * time.Millisecond)
	if _, ok := w.has(before.Handle); ok {
		t.Error("a revocation before since was delivered")
	}
}

// TestWatchAcrossInstances: a revocation by another instance (its own pool)
// reaches the watcher within 2 s, with its At; so do RevokeSubject's.
func TestWatchAcrossInstances(t *testing.T) {
	s := newStore(t)
	other := openStore(t, s.Schema())
	ctx := ctxT(t)
	t0 := now()
	w := startWatch(t, s, t0)

	rec := newRecord("alice", t0)
	mustCreate(t, other, rec)
	at := now()
	if ok, err := other.Revoke(ctx, rec.Handle, at); !ok || err != nil {
		t.Fatalf("Revoke = %v, %v", ok, err)
	}
	start := time.Now()
	if missing := w.waitFor(2*time.Second, rec.Handle); missing != nil {
		t.Fatalf("revocation by another instance not delivered within 2 s")
	}
	t.Logf("delivered %v after the revoke returned", time.Since(start))
	if got, _ := w.has(rec.Handle); !got.Equal(at) {
		t.Errorf("At = %v, want %v", got, at)
	}

	var hs []string
	keep := newRecord("bob", t0)
	mustCreate(t, other, keep)
	for i := 0; i < 5; i++ {
		r := newRecord("bob", t0)
		mustCreate(t, other, r)
		hs = append(hs, r.Handle)
	}
	revoked, err := other.RevokeSubject(ctx, "bob", keep.Handle, now())
	if err != nil || len(revoked) != len(hs) {
		t.Fatalf("RevokeSubject = %v, %v", revoked, err)
	}
	if missing := w.waitFor(2*time.Second, hs...); missing != nil {
		t.Fatalf("RevokeSubject revocations not delivered within 2 s: %v", missing)
	}
	if _, ok := w.has(keep.Handle); ok {
		t.Error("the kept session was delivered")
	}
}

// TestWatchNothingFallsBetween: revocations racing with the watch's start
// (before, during and after LISTEN) are all delivered.
func TestWatchNothingFallsBetween(t *testing.T) {
	s := newStore(t)
	other := openStore(t, s.Schema())
	t0 := now()
	var recs []*sessionissuer.Record
	for i := 0; i < 40; i++ {
		r := newRecord("alice", t0)
		mustCreate(t, s, r)
		recs = append(recs, r)
	}
	for round := 0; round < 4; round++ {
		batch := recs[round*10 : round*10+10]
		errc := make(chan error, 1)
		go func() {
			for _, r := range batch {
				if _, err := other.Revoke(context.Background(), r.Handle, now()); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		w := startWatch(t, s, t0)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, r := range batch {
			hs = append(hs, r.Handle)
		}
		if missing := w.waitFor(2*time.Second, hs...); missing != nil {
			t.Fatalf("round %d: %d of %d racing revocations lost", round, len(missing), len(hs))
		}
		w.stop()
	}
}

func TestWatchEnds(t *testing.T) {
	t.Run("context canceled", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.WatchRevocations(ctx, now(), func(sessionissuer.Revocation) {}) }()
		time.Sleep(200 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("WatchRevocations = %v; want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("WatchRevocations did not return after cancel")
		}
	})
	t.Run("deadline", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := s.WatchRevocations(ctx, now(), func(sessionissuer.Revocation) {}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WatchRevocations = %v; want context.DeadlineExceeded", err)
		}
	})
	t.Run("store closed", func(t *testing.T) {
		s := newStore(t)
		done := make(chan error, 1)
		go func() { done <- s.WatchRevocations(context.Background(), now(), func(sessionissuer.Revocation) {}) }()
		time.Sleep(200 * time.Millisecond)
		s.Close()
		select {
		case err := <-done:
			if !errors.Is(err, pgstore.ErrClosed) {
				t.Fatalf("WatchRevocations = %v; want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("WatchRevocations did not return after Close")
		}
		if err := s.WatchRevocations(context.Background(), now(), func(sessionissuer.Revocation) {}); !errors.Is(err, pgstore.ErrClosed) {
			t.Fatalf("WatchRevocations after Close = %v", err)
		}
	})
	t.Run("connection killed", func(t *testing.T) {
		s := newStore(t)
		admin := adminConn(t)
		done := make(chan error, 1)
		go func() { done <- s.WatchRevocations(context.Background(), now(), func(sessionissuer.Revocation) {}) }()
		deadline := time.Now().Add(5 * time.Second)
		for {
			var n int
			// The watch's connection last ran the catch-up SELECT.
			if err := admin.QueryRow(ctxT(t), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE state = 'idle' AND query LIKE '%' || $1 || '%revoked_at >=%'`,
				pgx.Identifier{s.Schema()}.Sanitize()).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the watch's LISTEN connection never showed up")
			}
			time.Sleep(20 * time.Millisecond)
		}
		select {
		case err := <-done:
			if err == nil || errors.Is(err, context.Canceled) {
				t.Fatalf("WatchRevocations on a killed connection = %v; want a connection error", err)
			}
			t.Logf("returned: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatal("WatchRevocations did not notice its connection was killed")
		}
		// Called again (as the issuer does), it works.
		w := startWatch(t, s, now())
		rec := newRecord("alice", now())
		mustCreate(t, s, rec)
		if _, err := s.Revoke(ctxT(t), rec.Handle, now()); err != nil {
			t.Fatal(err)
		}
		if missing := w.waitFor(2*time.Second, rec.Handle); missing != nil {
			t.Fatal("re-subscribed watch missed a revocation")
		}
	})
}

// TestWatchIgnoresJunkAndIdles: foreign payloads on the channel are ignored,
// and the idle check (WithWatchPing) keeps the watch working.
func TestWatchIgnoresJunkAndIdles(t *testing.T) {
	s := newStore(t, pgstore.WithWatchPing(100*time.Millisecond))
	admin := adminConn(t)
	w := startWatch(t, s, now())
	channel := "sessionguard_rev_" + s.Schema()
	time.Sleep(200 * time.Millisecond)
	for _, p := range []string{"", "junk", "12x h", "123", "123 "} {
		if _, err := admin.Exec(ctxT(t), `SELECT pg_notify($1, $2)`, channel, p); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond) // several idle checks
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)
	if _, err := s.Revoke(ctxT(t), rec.Handle, now()); err != nil {
		t.Fatal(err)
	}
	if missing := w.waitFor(2*time.Second, rec.Handle); missing != nil {
		t.Fatal("revocation after junk and idle checks not delivered")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.got) != 1 {
		t.Errorf("delivered %v; want only the real revocation", w.got)
	}
	select {
	case err := <-w.done:
		t.Fatalf("watch ended: %v", err)
	default:
	}
}

// TestWatchSchemasIsolated: a watcher hears its own schema only.
func TestWatchSchemasIsolated(t *testing.T) {
	a, b := newStore(t), newStore(t)
	w := startWatch(t, a, now())
	rb, ra := newRecord("alice", now()), newRecord("alice", now())
	mustCreate(t, b, rb)
	mustCreate(t, a, ra)
	if _, err := b.Revoke(ctxT(t), rb.Handle, now()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Revoke(ctxT(t), ra.Handle, now()); err != nil {
		t.Fatal(err)
	}
	if missing := w.waitFor(2*time.Second, ra.Handle); missing != nil {
		t.Fatal(fmt.Sprint("own revocation missing: ", missing))
	}
	if _, ok := w.has(rb.Handle); ok {
		t.Error("a revocation in another schema was delivered")
	}
}
