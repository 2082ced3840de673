package sqlitestore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

func handlesOf(revs []sessionissuer.Revocation) []string {
	var hs []string
	for _, r := range revs {
		hs = append(hs, r.Handle)
	}
	return hs
}

func TestWatchBacklog(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	mustCreate(t, st, record("h0", "alice", 0), record("h1", "alice", 0), record("h2", "alice", 0), record("h3", "alice", 0))
	for i, h := range []string{"h2", "h0", "h1"} { // commit order differs from At order
		at := base.Add(time.Duration([]int{2, 0, 1}[i]) * time.Minute)
		if _, err := st.Revoke(ctx, h, at); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, st, base.Add(time.Minute))
	if want := []string{"h2", "h1"}; !slices.Equal(handlesOf(got), want) {
		t.Fatalf("backlog since base+1m = %v, want %v (commit order, At ≥ since)", handlesOf(got), want)
	}
	if !got[0].At.Equal(base.Add(2 * time.Minute)) {
		t.Errorf("At = %v, want base+2m", got[0].At)
	}
	if got := collect(t, st, time.Time{}); len(got) != 3 {
		t.Errorf("backlog since the zero time = %v, want all 3", handlesOf(got))
	}
}

// watch runs WatchRevocations in the background, sending what it delivers
// on the returned channel; stop ends it and returns its error.
func watch(t *testing.T, st sessionissuer.Store, since time.Time) (<-chan sessionissuer.Revocation, func() error) {
	t.Helper()
	ch := make(chan sessionissuer.Revocation, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.WatchRevocations(ctx, since, func(r sessionissuer.Revocation) { ch <- r }) }()
	stopped := false
	var err error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return ch, stop
}

func expect(t *testing.T, ch <-chan sessionissuer.Revocation, within time.Duration, handles ...string) {
	t.Helper()
	timeout := time.After(within)
	var got []string
	for len(got) < len(handles) {
		select {
		case r := <-ch:
			got = append(got, r.Handle)
		case <-timeout:
			t.Fatalf("within %v got %v, want %v", within, got, handles)
		}
	}
	slices.Sort(got)
	want := slices.Clone(handles)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestWatchInProcessAtOnce: revocations through this Store, or another Store
// of this process on the same path, are delivered without waiting for a poll.
func TestWatchInProcessAtOnce(t *testing.T) {
	st := newStore(t, sqlitestore.WithPollInterval(time.Second))
	other := openStore(t, pathOf(t, st), sqlitestore.WithPollInterval(time.Second))
	ctx := ctxT(t)
	mustCreate(t, st, record("a1", "alice", 0), record("a2", "alice", time.Second), record("a3", "alice", 2*time.Second), record("b1", "bob", 0))
	ch, stop := watch(t, st, base)
	chOther, _ := watch(t, other, base)
	time.Sleep(50 * time.Millisecond) // both past their backlog
	// Their first poll tick is about 950 ms away: a delivery within 500 ms
	// was woken by the revocation itself.

	if _, err := st.Revoke(ctx, "b1", base); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, 500*time.Millisecond, "b1")
	expect(t, chOther, 500*time.Millisecond, "b1")

	if _, err := other.RevokeSubject(ctx, "alice", "a3", base); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, 500*time.Millisecond, "a1", "a2")
	expect(t, chOther, 500*time.Millisecond, "a1", "a2")

	// A revocation carrying an At before since, committed after the watch
	// began, is still delivered (another machine's clock may lag).
	if _, err := st.Revoke(ctx, "a3", base.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, 500*time.Millisecond, "a3")

	if err := stop(); err != context.Canceled {
		t.Errorf("WatchRevocations after cancel = %v, want context.Canceled itself", err)
	}
}

// TestWatchPolls: a Store on another path to the same file (a symbolic link:
// nothing shared in memory, as with another process) sees revocations within
// the poll interval.
func TestWatchPolls(t *testing.T) {
	st := newStore(t)
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(pathOf(t, st), link); err != nil {
		t.Skip("no symbolic links:", err)
	}
	watcher := openStore(t, link, sqlitestore.WithPollInterval(100*time.Millisecond))
	mustCreate(t, st, record("h1", "alice", 0))
	ch, _ := watch(t, watcher, base)
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if _, err := st.Revoke(ctxT(t), "h1", base); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, time.Second, "h1")
	t.Logf("delivered by polling after %v", time.Since(start))
}

func TestWatchManyPages(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	const n = 1300 // more than two pages
	for i := range n {
		h := "h" + string(rune('a'+i%26)) + time.Duration(i).String()
		mustCreate(t, st, record(h, "alice", 0))
	}
	if got, err := st.RevokeSubject(ctx, "alice", "", base); err != nil || len(got) != n {
		t.Fatalf("RevokeSubject = %d, %v", len(got), err)
	}
	if got := collect(t, st, base); len(got) != n {
		t.Fatalf("backlog = %d entries, want %d", len(got), n)
	}
}

func TestWatchEndsOnClose(t *testing.T) {
	st := newStore(t)
	_, stop := watch(t, st, base)
	time.Sleep(50 * time.Millisecond)
	st.Close()
	if err := stop(); !errors.Is(err, sqlitestore.ErrClosed) {
		t.Fatalf("WatchRevocations after Close = %v, want ErrClosed", err)
	}
}
