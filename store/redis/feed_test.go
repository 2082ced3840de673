package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
)

// collector gathers revocations delivered to a watch.
type collector struct {
	mu   sync.Mutex
	seen map[string]time.Time
	ch   chan string
}

func newCollector() *collector {
	return &collector{seen: map[string]time.Time{}, ch: make(chan string, 1024)}
}

func (c *collector) fn(r sessionissuer.Revocation) {
	c.mu.Lock()
	c.seen[r.Handle] = r.At
	c.mu.Unlock()
	select {
	case c.ch <- r.Handle:
	default:
	}
}

// await waits up to d for handle to be delivered.
func (c *collector) await(t *testing.T, handle string, d time.Duration) time.Time {
	t.Helper()
	timeout := time.After(d)
	for {
		c.mu.Lock()
		at, ok := c.seen[handle]
		c.mu.Unlock()
		if ok {
			return at
		}
		select {
		case <-c.ch:
		case <-timeout:
			t.Fatalf("revocation of %s not delivered within %v", handle, d)
		}
	}
}

func (c *collector) has(handle string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.seen[handle]
	return ok
}

// watch runs WatchRevocations in the background until the test ends; the
// returned channel yields its error.
func watch(t *testing.T, s sessionissuer.Store, since time.Time, c *collector) (context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		done <- s.WatchRevocations(ctx, since, c.fn)
		close(finished)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			t.Error("WatchRevocations did not return after its context ended")
		}
	})
	return cancel, done
}

func TestWatchRevocationsAcrossProcesses(t *testing.T) {
	stores := sharedStores(t, 2)
	writer, reader := stores[0], stores[1]
	ctx := context.Background()

	before := record("alice", now())
	mustCreate(t, writer, before)
	old := record("alice", now())
	mustCreate(t, writer, old)
	if _, err := writer.Revoke(ctx, old.Handle, now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	since := now().Add(-30 * time.Second)
	if _, err := writer.Revoke(ctx, before.Handle, now()); err != nil {
		t.Fatal(err)
	}

	c := newCollector()
	watch(t, reader, since, c)
	// Catch-up: revoked before the watch began, at or after since.
	c.await(t, before.Handle, 2*time.Second)

	// Live, from the other process, within 2 s.
	live := record("alice", now())
	mustCreate(t, writer, live)
	at := now()
	start := time.Now()
	if _, err := writer.Revoke(ctx, live.Handle, at); err != nil {
		t.Fatal(err)
	}
	got := c.await(t, live.Handle, 2*time.Second)
	t.Logf("cross-process delivery took %v", time.Since(start))
	if !got.Equal(at) {
		t.Fatalf("delivered At = %v, want %v", got, at)
	}

	// RevokeSubject's revocations are delivered too.
	others := []*sessionissuer.Record{record("bob", now()), record("bob", now())}
	for _, r := range others {
		mustCreate(t, writer, r)
	}
	handles, err := writer.RevokeSubject(ctx, "bob", "", now())
	if err != nil || len(handles) != 2 {
		t.Fatalf("RevokeSubject = %v, %v", handles, err)
	}
	for _, h := range handles {
		c.await(t, h, 2*time.Second)
	}
	if c.has(old.Handle) {
		t.Error("a revocation before since was delivered")
	}
}

func TestWatchRevocationsEndsWithContext(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WatchRevocations(ctx, now(), func(sessionissuer.Revocation) {}) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WatchRevocations = %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("WatchRevocations did not return promptly after cancel")
	}

	dctx, dcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer dcancel()
	start := time.Now()
	err := s.WatchRevocations(dctx, now(), func(sessionissuer.Revocation) {})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("WatchRevocations with a deadline = %v after %v", err, time.Since(start))
	}
}

func TestWatchRevocationsZeroSince(t *testing.T) {
	s := newStore(t)
	r := record("alice", now())
	mustCreate(t, s, r)
	if _, err := s.Revoke(context.Background(), r.Handle, now()); err != nil {
		t.Fatal(err)
	}
	c := newCollector()
	watch(t, s, time.Time{}, c)
	c.await(t, r.Handle, 2*time.Second)
}

func TestFeedTrimmedByAge(t *testing.T) {
	s := newStore(t, redisstore.WithRetention(time.Minute))
	ctx := context.Background()
	base := now()
	a, b := record("alice", base), record("alice", base)
	mustCreate(t, s, a)
	mustCreate(t, s, b)
	if _, err := s.Revoke(ctx, a.Handle, base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, b.Handle, base.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	var got []string
	wctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	_ = s.WatchRevocations(wctx, base.Add(-time.Second), func(r sessionissuer.Revocation) { got = append(got, r.Handle) })
	if len(got) != 1 || got[0] != b.Handle {
		t.Fatalf("feed after a revocation a retention later = %v, want only the newer one", got)
	}
}
