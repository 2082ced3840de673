package sqlitestore_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

func TestCreateGet(t *testing.T) {
	st := newStore(t)
	in := record("h1", "alice", 0)
	in.Version = 42 // ignored
	mustCreate(t, st, in)

	got := mustGet(t, st, "h1")
	want := *in
	want.Version = 1
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("Get = %+v\nwant  %+v", *got, want)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location %v, want UTC", got.CreatedAt.Location())
	}

	// Byte slices are copies both ways.
	in.Payload[0] = 'X'
	got.Refresh[0] = 'X'
	again := mustGet(t, st, "h1")
	if again.Payload[0] != '{' || again.Refresh[0] != 'r' {
		t.Errorf("store shares byte slices with its callers: %q %q", again.Payload, again.Refresh)
	}
}

func TestCreateKeepsTimesInOtherZones(t *testing.T) {
	st := newStore(t)
	in := record("h1", "alice", 0)
	in.CreatedAt = in.CreatedAt.In(time.FixedZone("X", 5*3600))
	in.RevokedAt = base.Add(time.Minute)
	mustCreate(t, st, in)
	got := mustGet(t, st, "h1")
	if !got.CreatedAt.Equal(in.CreatedAt) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, in.CreatedAt)
	}
	if !got.RevokedAt.Equal(in.RevokedAt) {
		t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, in.RevokedAt)
	}
}

func TestCreateNilAndEmptyBytes(t *testing.T) {
	st := newStore(t)
	in := record("h1", "alice", 0)
	in.Payload, in.Refresh = nil, []byte{}
	mustCreate(t, st, in)
	got := mustGet(t, st, "h1")
	if len(got.Payload) != 0 || len(got.Refresh) != 0 {
		t.Errorf("Payload %q Refresh %q, want empty", got.Payload, got.Refresh)
	}
}

func TestCreateDuplicate(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, record("h1", "alice", 0))
	err := st.Create(ctxT(t), record("h1", "bob", time.Second))
	if err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
		t.Fatalf("second Create = %v, want an error other than ErrNotFound", err)
	}
	if got := mustGet(t, st, "h1"); got.Subject != "alice" {
		t.Errorf("duplicate Create overwrote the row: subject %q", got.Subject)
	}
}

func TestCreateRejectsUnstorableTime(t *testing.T) {
	st := newStore(t)
	in := record("h1", "alice", 0)
	in.ExpiresAt = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := st.Create(ctxT(t), in); err == nil {
		t.Fatal("Create with a year-3000 expiry succeeded; want an error (not a silently wrong time)")
	}
	if _, err := st.Get(ctxT(t), "h1"); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Errorf("Get after a refused Create = %v, want ErrNotFound", err)
	}
}

func TestGetNotFound(t *testing.T) {
	st := newStore(t)
	if _, err := st.Get(ctxT(t), "nope"); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Fatalf("Get = %v, want ErrNotFound", err)
	}
}

func TestSwapRefresh(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, record("h1", "alice", 0))
	ctx := ctxT(t)
	u := sessionissuer.RefreshUpdate{
		Refresh:     []byte("state-2"),
		RefreshedAt: base.Add(time.Hour),
		ExpiresAt:   base.Add(time.Hour + 30*24*time.Hour),
	}

	t.Run("match", func(t *testing.T) {
		rec, ok, err := st.SwapRefresh(ctx, "h1", 1, u)
		if err != nil || !ok {
			t.Fatalf("SwapRefresh = %v, %v, want ok", ok, err)
		}
		if rec.Version != 2 || !bytes.Equal(rec.Refresh, u.Refresh) ||
			!rec.RefreshedAt.Equal(u.RefreshedAt) || !rec.ExpiresAt.Equal(u.ExpiresAt) {
			t.Errorf("returned row %+v does not carry the update", rec)
		}
		if !reflect.DeepEqual(rec, mustGet(t, st, "h1")) {
			t.Errorf("returned row differs from the stored one")
		}
	})
	t.Run("stale version", func(t *testing.T) {
		rec, ok, err := st.SwapRefresh(ctx, "h1", 1, sessionissuer.RefreshUpdate{Refresh: []byte("other"), RefreshedAt: base, ExpiresAt: base})
		if err != nil || ok {
			t.Fatalf("SwapRefresh = %v, %v, want !ok", ok, err)
		}
		if rec == nil || rec.Version != 2 || string(rec.Refresh) != "state-2" {
			t.Fatalf("mismatch returned %+v, want the current row (version 2)", rec)
		}
	})
	t.Run("carries current payload", func(t *testing.T) {
		if ok, err := st.SetPayload(ctx, "h1", []byte(`{"role":"user"}`)); err != nil || !ok {
			t.Fatalf("SetPayload = %v, %v", ok, err)
		}
		rec, ok, err := st.SwapRefresh(ctx, "h1", 2, u)
		if err != nil || !ok || string(rec.Payload) != `{"role":"user"}` || rec.Version != 3 {
			t.Fatalf("SwapRefresh = %+v, %v, %v; want version 3 with the new payload", rec, ok, err)
		}
	})
	t.Run("huge version", func(t *testing.T) {
		rec, ok, err := st.SwapRefresh(ctx, "h1", 1<<63+5, u)
		if err != nil || ok || rec == nil || rec.Version != 3 {
			t.Fatalf("SwapRefresh(2^63+5) = %+v, %v, %v; want the current row, !ok", rec, ok, err)
		}
	})
	t.Run("no row", func(t *testing.T) {
		rec, ok, err := st.SwapRefresh(ctx, "nope", 1, u)
		if err != nil || ok || rec != nil {
			t.Fatalf("SwapRefresh(unknown) = %+v, %v, %v; want nil, false, nil", rec, ok, err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		if ok, err := st.Revoke(ctx, "h1", base.Add(2*time.Hour)); err != nil || !ok {
			t.Fatalf("Revoke = %v, %v", ok, err)
		}
		rec, ok, err := st.SwapRefresh(ctx, "h1", 3, u)
		if err != nil || ok || rec == nil || rec.RevokedAt.IsZero() || rec.Version != 3 {
			t.Fatalf("SwapRefresh(revoked) = %+v, %v, %v; want the revoked row, !ok", rec, ok, err)
		}
	})
}

// TestSwapRefreshConcurrent races swaps from one version, through one Store
// and through two Stores on one file: exactly one wins each round.
func TestSwapRefreshConcurrent(t *testing.T) {
	st := newStore(t)
	other := openStore(t, pathOf(t, st))
	mustCreate(t, st, record("h1", "alice", 0))
	ctx := ctxT(t)
	const rounds, racers = 20, 8
	for round := uint64(1); round <= rounds; round++ {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins []int
		)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := sessionissuer.Store(st)
				if i%2 == 1 {
					s = other
				}
				u := sessionissuer.RefreshUpdate{Refresh: fmt.Appendf(nil, "r%d-%d", round, i), RefreshedAt: base, ExpiresAt: base.Add(time.Hour)}
				rec, ok, err := s.SwapRefresh(ctx, "h1", round, u)
				if err != nil {
					t.Errorf("SwapRefresh: %v", err)
					return
				}
				if rec == nil || (ok && rec.Version != round+1) || (!ok && rec.Version < round+1) {
					t.Errorf("SwapRefresh = %+v, %v", rec, ok)
				}
				if ok {
					mu.Lock()
					wins = append(wins, i)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(wins) != 1 {
			t.Fatalf("round %d: %d swaps won (%v), want exactly 1", round, len(wins), wins)
		}
		if got := mustGet(t, st, "h1"); got.Version != round+1 || string(got.Refresh) != fmt.Sprintf("r%d-%d", round, wins[0]) {
			t.Fatalf("round %d: stored %d %q, want the winner's", round, got.Version, got.Refresh)
		}
	}
}

func TestSetPayload(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	mustCreate(t, st, record("h1", "alice", 0), record("h2", "alice", time.Second))
	if ok, err := st.SetPayload(ctx, "h1", []byte(`{"a":1}`)); err != nil || !ok {
		t.Fatalf("SetPayload(live) = %v, %v", ok, err)
	}
	got := mustGet(t, st, "h1")
	if string(got.Payload) != `{"a":1}` || got.Version != 1 {
		t.Errorf("after SetPayload: payload %q version %d; want new payload, version 1", got.Payload, got.Version)
	}
	if other := mustGet(t, st, "h2"); string(other.Payload) != `{"role":"admin"}` {
		t.Errorf("SetPayload changed another session: %q", other.Payload)
	}
	if ok, err := st.SetPayload(ctx, "nope", []byte(`{}`)); err != nil || ok {
		t.Errorf("SetPayload(unknown) = %v, %v; want false, nil", ok, err)
	}
	if _, err := st.Revoke(ctx, "h2", base); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.SetPayload(ctx, "h2", []byte(`{}`)); err != nil || ok {
		t.Errorf("SetPayload(revoked) = %v, %v; want false, nil", ok, err)
	}
}

func TestRevoke(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	mustCreate(t, st, record("h1", "alice", 0))
	at := base.Add(time.Minute)
	if ok, err := st.Revoke(ctx, "h1", at); err != nil || !ok {
		t.Fatalf("Revoke = %v, %v; want true", ok, err)
	}
	if ok, err := st.Revoke(ctx, "h1", at.Add(time.Minute)); err != nil || ok {
		t.Fatalf("second Revoke = %v, %v; want false", ok, err)
	}
	if got := mustGet(t, st, "h1"); !got.RevokedAt.Equal(at) {
		t.Errorf("RevokedAt = %v, want the first revocation's %v", got.RevokedAt, at)
	}
	if ok, err := st.Revoke(ctx, "nope", at); err != nil || ok {
		t.Errorf("Revoke(unknown) = %v, %v; want false, nil", ok, err)
	}
	if _, err := st.Revoke(ctx, "h1", time.Time{}); err == nil {
		t.Errorf("Revoke at the zero time succeeded")
	}
}

func TestRevokeSubject(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	expired := record("expired", "alice", 0)
	expired.ExpiresAt = base.Add(time.Hour)
	mustCreate(t, st,
		record("a1", "alice", 0), record("a2", "alice", time.Second), record("keep", "alice", 2*time.Second),
		record("gone", "alice", 3*time.Second), expired, record("b1", "bob", 0))
	if _, err := st.Revoke(ctx, "gone", base); err != nil {
		t.Fatal(err)
	}
	at := base.Add(time.Hour) // expired's ExpiresAt: expired at at, not revoked
	got, err := st.RevokeSubject(ctx, "alice", "keep", at)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []string{"a1", "a2"}; !slices.Equal(got, want) {
		t.Fatalf("RevokeSubject = %v, want %v", got, want)
	}
	for h, revoked := range map[string]bool{"a1": true, "a2": true, "keep": false, "expired": false, "b1": false} {
		if r := mustGet(t, st, h); r.RevokedAt.IsZero() == revoked {
			t.Errorf("%s: RevokedAt %v, want revoked=%v", h, r.RevokedAt, revoked)
		}
	}
	if got := mustGet(t, st, "gone"); !got.RevokedAt.Equal(base) {
		t.Errorf("RevokeSubject moved an earlier revocation to %v", got.RevokedAt)
	}
	got, err = st.RevokeSubject(ctx, "alice", "", at)
	if err != nil || !slices.Equal(got, []string{"keep"}) {
		t.Errorf("RevokeSubject without keep = %v, %v; want [keep]", got, err)
	}
	if got, err = st.RevokeSubject(ctx, "nobody", "", at); err != nil || len(got) != 0 {
		t.Errorf("RevokeSubject(unknown) = %v, %v; want none", got, err)
	}
}

func TestList(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	expired := record("expired", "alice", 3*time.Second)
	expired.ExpiresAt = base.Add(time.Hour)
	mustCreate(t, st,
		record("old", "alice", 0), record("new", "alice", 2*time.Second), record("mid", "alice", time.Second),
		record("revoked", "alice", 4*time.Second), expired, record("b1", "bob", 0))
	if _, err := st.Revoke(ctx, "revoked", base); err != nil {
		t.Fatal(err)
	}
	got, err := st.List(ctx, "alice", base.Add(time.Hour)) // expired's expiry: not listed
	if err != nil {
		t.Fatal(err)
	}
	var handles []string
	for _, r := range got {
		handles = append(handles, r.Handle)
	}
	if want := []string{"new", "mid", "old"}; !slices.Equal(handles, want) {
		t.Fatalf("List = %v, want %v", handles, want)
	}
	if !reflect.DeepEqual(got[2], *mustGet(t, st, "old")) {
		t.Errorf("List row differs from Get's")
	}
	if got, err := st.List(ctx, "alice", base.Add(time.Hour-time.Nanosecond)); err != nil || len(got) != 4 {
		t.Errorf("List a nanosecond before expiry = %d rows, %v; want 4", len(got), err)
	}
	if got, err := st.List(ctx, "nobody", base); err != nil || len(got) != 0 {
		t.Errorf("List(unknown) = %v, %v", got, err)
	}
}

func TestDeleteExpired(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	var recs []*sessionissuer.Record
	for i := range 10 {
		r := record(fmt.Sprintf("exp%d", i), "alice", 0)
		r.ExpiresAt = base.Add(time.Duration(i) * time.Minute) // exp0..exp9 at base+0..9 min
		recs = append(recs, r)
	}
	mustCreate(t, st, recs...)
	mustCreate(t, st, record("live", "alice", 0), record("revoked-late", "alice", 0), record("revoked-early", "alice", 0))
	if _, err := st.Revoke(ctx, "revoked-early", base.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Revoke(ctx, "exp0", base); err != nil { // expired and revoked: one row
		t.Fatal(err)
	}
	if _, err := st.Revoke(ctx, "revoked-late", base.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	before := base.Add(5 * time.Minute) // exp0..exp5 and revoked-early qualify: 7 rows

	if n, err := st.DeleteExpired(ctx, before, 0); err != nil || n != 0 {
		t.Fatalf("DeleteExpired(limit 0) = %d, %v", n, err)
	}
	n1, err := st.DeleteExpired(ctx, before, 4)
	if err != nil || n1 != 4 {
		t.Fatalf("DeleteExpired(limit 4) = %d, %v; want 4", n1, err)
	}
	n2, err := st.DeleteExpired(ctx, before, 100)
	if err != nil || n2 != 3 {
		t.Fatalf("second DeleteExpired = %d, %v; want the 3 left", n2, err)
	}
	if n, err := st.DeleteExpired(ctx, before, 100); err != nil || n != 0 {
		t.Fatalf("third DeleteExpired = %d, %v; want 0", n, err)
	}
	for i := range 10 {
		_, err := st.Get(ctx, fmt.Sprintf("exp%d", i))
		if gone := errors.Is(err, sessionissuer.ErrNotFound); gone != (i <= 5) {
			t.Errorf("exp%d: Get = %v; want deleted=%v", i, err, i <= 5)
		}
	}
	for h, gone := range map[string]bool{"live": false, "revoked-late": false, "revoked-early": true} {
		if _, err := st.Get(ctx, h); errors.Is(err, sessionissuer.ErrNotFound) != gone {
			t.Errorf("%s: Get = %v; want deleted=%v", h, err, gone)
		}
	}
	// The feed keeps revoked-late (at base+6m) and drops revoked-early and exp0.
	feed := collect(t, st, time.Time{})
	if len(feed) != 1 || feed[0].Handle != "revoked-late" {
		t.Errorf("feed after DeleteExpired = %v, want [revoked-late]", feed)
	}
}

func TestKeys(t *testing.T) {
	st := newStore(t)
	ctx := ctxT(t)
	if blob, v, err := st.LoadKeys(ctx); err != nil || v != 0 || blob != nil {
		t.Fatalf("LoadKeys(empty) = %q, %d, %v; want nil, 0, nil", blob, v, err)
	}
	if ok, err := st.SwapKeys(ctx, 1, []byte("x")); err != nil || ok {
		t.Fatalf("SwapKeys(1) on an empty ring = %v, %v; want false", ok, err)
	}
	if ok, err := st.SwapKeys(ctx, 0, []byte("ring-1")); err != nil || !ok {
		t.Fatalf("SwapKeys(0) = %v, %v; want true", ok, err)
	}
	if ok, err := st.SwapKeys(ctx, 0, []byte("other")); err != nil || ok {
		t.Fatalf("second SwapKeys(0) = %v, %v; want false", ok, err)
	}
	if ok, err := st.SwapKeys(ctx, 1, []byte("ring-2")); err != nil || !ok {
		t.Fatalf("SwapKeys(1) = %v, %v; want true", ok, err)
	}
	if ok, err := st.SwapKeys(ctx, 1, []byte("stale")); err != nil || ok {
		t.Fatalf("stale SwapKeys(1) = %v, %v; want false", ok, err)
	}
	blob, v, err := st.LoadKeys(ctx)
	if err != nil || v != 2 || string(blob) != "ring-2" {
		t.Fatalf("LoadKeys = %q, %d, %v; want ring-2, 2", blob, v, err)
	}

	// Racing rotations from one version: exactly one wins.
	other := openStore(t, pathOf(t, st))
	var wg sync.WaitGroup
	var wins sync.Map
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sessionissuer.Store(st)
			if i%2 == 1 {
				s = other
			}
			ok, err := s.SwapKeys(ctx, 2, fmt.Appendf(nil, "ring-3-%d", i))
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Store(i, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	wins.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d concurrent SwapKeys won, want 1", n)
	}
}
