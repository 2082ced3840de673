package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// TestReconnectAfterRestart stops a private server under a running store
// and starts it again: while it is down every call is an error (never a
// success, never ErrNotFound) returned within its deadline and the watch
// ends with an error; once it is back the same Store answers again, without
// a restart, and a new watch delivers revocations (including one recorded
// while the watch was down).
func TestReconnectAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL server")
	}
	in := startInstance(t)
	s := openStoreURL(t, in.url(), "sgpg_reconnect")
	other := openStoreURL(t, in.url(), "sgpg_reconnect")
	ctx := ctxT(t)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t0 := now()
	rec := newRecord("alice", t0)
	mustCreate(t, s, rec)
	mustGet(t, s, rec.Handle)

	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- s.WatchRevocations(watchCtx, t0, func(sessionissuer.Revocation) {})
	}()
	time.Sleep(300 * time.Millisecond) // let it LISTEN

	in.stop()

	select {
	case err := <-watchDone:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Fatalf("watch on a stopped server = %v; want a connection error", err)
		}
		t.Logf("watch ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("watch did not notice the server stopped")
	}

	u := sessionissuer.RefreshUpdate{Refresh: []byte("after"), RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)}
	down := map[string]func(context.Context) error{
		"Get":         func(ctx context.Context) error { _, err := s.Get(ctx, rec.Handle); return err },
		"SwapRefresh": func(ctx context.Context) error { _, _, err := s.SwapRefresh(ctx, rec.Handle, 1, u); return err },
		"Revoke":      func(ctx context.Context) error { _, err := s.Revoke(ctx, rec.Handle, now()); return err },
		"Create":      func(ctx context.Context) error { return s.Create(ctx, newRecord("alice", now())) },
		"WatchRevocations": func(ctx context.Context) error {
			return s.WatchRevocations(ctx, t0, func(sessionissuer.Revocation) {})
		},
	}
	for name, call := range down {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		start := time.Now()
		err := call(cctx)
		cancel()
		if err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
			t.Errorf("%s with the server down = %v; want an error", name, err)
		}
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("%s took %v with a 3 s deadline", name, d)
		}
	}

	in.start()

	// The same Store answers again: the pool drops dead connections and
	// dials anew (the first call after the restart may still fail on one).
	var got *sessionissuer.Record
	deadline := time.Now().Add(15 * time.Second)
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		r, err := s.Get(cctx, rec.Handle)
		cancel()
		if err == nil {
			got = r
			t.Logf("answered again on attempt %d after the restart", attempt)
			break
		}
		t.Logf("attempt %d after the restart: %v", attempt, err)
		if time.Now().After(deadline) {
			t.Fatalf("store did not reconnect within 15 s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got.Version != 1 || !got.RevokedAt.IsZero() {
		t.Fatalf("row after restart = %+v; the failed calls must not have changed it", got)
	}

	// A revocation from another instance, made before the new watch starts,
	// comes through its catch-up; one made after, through NOTIFY.
	early := newRecord("alice", now())
	late := newRecord("alice", now())
	for _, r := range []*sessionissuer.Record{early, late} {
		if err := retry(func(ctx context.Context) error { return other.Create(ctx, r) }); err != nil {
			t.Fatal(err)
		}
	}
	if err := retry(func(ctx context.Context) error { _, err := other.Revoke(ctx, early.Handle, now()); return err }); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, s, t0)
	if err := retry(func(ctx context.Context) error { _, err := other.Revoke(ctx, late.Handle, now()); return err }); err != nil {
		t.Fatal(err)
	}
	if missing := w.waitFor(3*time.Second, early.Handle, late.Handle); missing != nil {
		t.Fatalf("re-subscribed watch after the restart missed %v", missing)
	}
	if _, ok, err := s.SwapRefresh(ctx, rec.Handle, 1, u); !ok || err != nil {
		t.Fatalf("SwapRefresh after the restart = %v, %v", ok, err)
	}
}

// retry runs call until it succeeds or 10 s pass (the other instance's pool
// may still hold a connection from before the restart).
func retry(call func(context.Context) error) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := call(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
