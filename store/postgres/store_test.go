package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
)

func TestCreateGetRoundTrip(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	t0 := now()
	rec := newRecord("alice", t0)
	rec.UserAgent = "Mozilla/5.0 \xff\x00 cut mid-rune \xe2\x82" // bytes from the network, kept exactly
	rec.IP = "2001:db8::1"
	rec.Label = ""
	rec.Version = 7 // ignored on input
	mustCreate(t, s, rec)

	got := mustGet(t, s, rec.Handle)
	want := *rec
	want.Version = 1
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("Get = %+v\nwant  %+v", *got, want)
	}
	for _, tm := range []time.Time{got.CreatedAt, got.RefreshedAt, got.ExpiresAt} {
		if tm.Location() != time.UTC {
			t.Errorf("time %v not in UTC", tm)
		}
	}

	// The returned slices belong to the caller.
	got.Payload[0] = 'X'
	if again := mustGet(t, s, rec.Handle); again.Payload[0] != '{' {
		t.Error("changing a returned payload changed the stored one")
	}

	// Times keep at least millisecond precision, returned in UTC.
	other := newRecord("alice", time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.FixedZone("X", 3600)))
	mustCreate(t, s, other)
	g := mustGet(t, s, other.Handle)
	if d := other.CreatedAt.Sub(g.CreatedAt); d < 0 || d >= time.Microsecond || g.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v truncated to µs in UTC", g.CreatedAt, other.CreatedAt)
	}

	// nil and empty byte slices read back empty.
	empty := newRecord("alice", t0)
	empty.Payload, empty.Refresh = nil, nil
	mustCreate(t, s, empty)
	if g := mustGet(t, s, empty.Handle); len(g.Payload) != 0 || len(g.Refresh) != 0 {
		t.Errorf("nil payload/refresh read back as %q/%q", g.Payload, g.Refresh)
	}

	// A revoked row is created as given and returned by Get.
	revoked := newRecord("alice", t0)
	revoked.RevokedAt = t0.Add(time.Second)
	mustCreate(t, s, revoked)
	if g := mustGet(t, s, revoked.Handle); !g.RevokedAt.Equal(revoked.RevokedAt) {
		t.Errorf("RevokedAt = %v, want %v", g.RevokedAt, revoked.RevokedAt)
	}

	_ = ctx
}

func TestGetUnknown(t *testing.T) {
	s := newStore(t)
	for _, h := range []string{"nope", "", "bad\xffutf8", "nul\x00byte"} {
		rec, err := s.Get(ctxT(t), h)
		if !errors.Is(err, sessionissuer.ErrNotFound) || rec != nil {
			t.Errorf("Get(%q) = %v, %v; want nil, ErrNotFound", h, rec, err)
		}
	}
}

func TestCreateDuplicateHandle(t *testing.T) {
	s := newStore(t)
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)
	dup := *rec
	dup.Subject = "mallory"
	err := s.Create(ctxT(t), &dup)
	if err == nil || errors.Is(err, sessionissuer.ErrNotFound) || !errors.Is(err, pgstore.ErrDuplicateHandle) {
		t.Fatalf("duplicate Create = %v; want an error wrapping ErrDuplicateHandle", err)
	}
	if strings.Contains(err.Error(), rec.Handle) {
		t.Errorf("error text %q holds the handle", err)
	}
	if g := mustGet(t, s, rec.Handle); g.Subject != "alice" {
		t.Errorf("duplicate Create changed the row: subject %q", g.Subject)
	}
}

func TestCreateRefusesTextPostgresCannotHold(t *testing.T) {
	s := newStore(t)
	for _, mod := range []func(*sessionissuer.Record){
		func(r *sessionissuer.Record) { r.Handle = "h\x00" },
		func(r *sessionissuer.Record) { r.Subject = "al\xffice" },
		func(r *sessionissuer.Record) { r.Handle = strings.Repeat("h", 1025) },
	} {
		rec := newRecord("alice", now())
		mod(rec)
		if err := s.Create(ctxT(t), rec); err == nil {
			t.Errorf("Create(handle %q, subject %q) succeeded", rec.Handle, rec.Subject)
		}
	}
	if err := s.Create(ctxT(t), nil); err == nil {
		t.Error("Create(nil) succeeded")
	}
}

func TestSwapRefresh(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	t0 := now()
	rec := newRecord("alice", t0)
	mustCreate(t, s, rec)

	u := sessionissuer.RefreshUpdate{Refresh: []byte("state-2"), RefreshedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(48 * time.Hour)}
	got, ok, err := s.SwapRefresh(ctx, rec.Handle, 1, u)
	if err != nil || !ok {
		t.Fatalf("SwapRefresh from the current version = %v, %v", ok, err)
	}
	want := *rec
	want.Refresh, want.RefreshedAt, want.ExpiresAt, want.Version = u.Refresh, u.RefreshedAt, u.ExpiresAt, 2
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("swapped row = %+v\nwant         %+v", *got, want)
	}
	if g := mustGet(t, s, rec.Handle); !reflect.DeepEqual(*g, want) {
		t.Fatalf("Get after swap = %+v", *g)
	}

	t.Run("returned row is the stored row", func(t *testing.T) {
		// Times with nanoseconds, in another zone: what SwapRefresh returns
		// must equal what Get reads back (cut to microseconds, UTC).
		r := newRecord("alice", t0)
		mustCreate(t, s, r)
		zone := time.FixedZone("X", -5*3600)
		u := sessionissuer.RefreshUpdate{Refresh: []byte("ns"), RefreshedAt: time.Now().In(zone), ExpiresAt: time.Now().Add(time.Hour + 999).In(zone)}
		got, ok, err := s.SwapRefresh(ctx, r.Handle, 1, u)
		if err != nil || !ok {
			t.Fatalf("SwapRefresh = %v, %v", ok, err)
		}
		if stored := mustGet(t, s, r.Handle); !reflect.DeepEqual(got, stored) {
			t.Fatalf("SwapRefresh returned %+v\nGet reads     %+v", got, stored)
		}
		u.Refresh[0] = 'X'
		if got.Refresh[0] != 'n' {
			t.Error("the returned Refresh shares memory with the update")
		}
	})

	t.Run("stale version", func(t *testing.T) {
		stale := sessionissuer.RefreshUpdate{Refresh: []byte("stale"), RefreshedAt: t0, ExpiresAt: t0}
		cur, ok, err := s.SwapRefresh(ctx, rec.Handle, 1, stale)
		if err != nil || ok || cur == nil || !reflect.DeepEqual(*cur, want) {
			t.Fatalf("stale swap = %+v, %v, %v; want the current row, false", cur, ok, err)
		}
		if cur, ok, err := s.SwapRefresh(ctx, rec.Handle, 1<<63+5, stale); err != nil || ok || cur == nil || cur.Version != 2 {
			t.Fatalf("swap from a huge version = %+v, %v, %v", cur, ok, err)
		}
	})

	t.Run("current payload returned", func(t *testing.T) {
		if ok, err := s.SetPayload(ctx, rec.Handle, []byte(`{"role":"admin"}`)); !ok || err != nil {
			t.Fatalf("SetPayload = %v, %v", ok, err)
		}
		got, ok, err := s.SwapRefresh(ctx, rec.Handle, 2, u)
		if err != nil || !ok || string(got.Payload) != `{"role":"admin"}` || got.Version != 3 {
			t.Fatalf("swap after SetPayload = %+v, %v, %v", got, ok, err)
		}
	})

	t.Run("revoked", func(t *testing.T) {
		if ok, err := s.Revoke(ctx, rec.Handle, t0.Add(time.Hour)); !ok || err != nil {
			t.Fatalf("Revoke = %v, %v", ok, err)
		}
		cur, ok, err := s.SwapRefresh(ctx, rec.Handle, 3, u)
		if err != nil || ok || cur == nil || cur.Version != 3 || cur.RevokedAt.IsZero() {
			t.Fatalf("swap of a revoked row = %+v, %v, %v; want the revoked row, false", cur, ok, err)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		for _, h := range []string{"unknown", "bad\xff"} {
			cur, ok, err := s.SwapRefresh(ctx, h, 1, u)
			if cur != nil || ok || err != nil {
				t.Fatalf("swap of %q = %+v, %v, %v; want nil, false, nil", h, cur, ok, err)
			}
		}
	})
}

// TestSwapRefreshConcurrent races swaps from one version, from one Store and
// from several (each with its own pool, as separate instances would be):
// exactly one wins each round.
func TestSwapRefreshConcurrent(t *testing.T) {
	s := newStore(t)
	stores := []*pgstore.Store{s, openStore(t, s.Schema()), openStore(t, s.Schema())}
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)
	ctx := ctxT(t)
	for round := uint64(1); round <= 5; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 12; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				u := sessionissuer.RefreshUpdate{Refresh: []byte{byte(i)}, RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)}
				got, ok, err := stores[i%len(stores)].SwapRefresh(ctx, rec.Handle, round, u)
				if err != nil {
					t.Errorf("SwapRefresh: %v", err)
					return
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
					if got.Version != round+1 || !bytes.Equal(got.Refresh, []byte{byte(i)}) {
						t.Errorf("winner got %+v", got)
					}
				} else if got == nil || got.Version != round+1 {
					t.Errorf("loser got %+v; want the winner's row", got)
				}
			}(i)
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d swaps won; want exactly 1", round, wins)
		}
	}
}

func TestSetPayload(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)
	sibling := newRecord("alice", now())
	mustCreate(t, s, sibling)

	if ok, err := s.SetPayload(ctx, rec.Handle, []byte(`{"plan":"pro"}`)); !ok || err != nil {
		t.Fatalf("SetPayload = %v, %v", ok, err)
	}
	g := mustGet(t, s, rec.Handle)
	if string(g.Payload) != `{"plan":"pro"}` || g.Version != 1 {
		t.Errorf("after SetPayload: payload %s version %d; want the new payload, version 1", g.Payload, g.Version)
	}
	if g := mustGet(t, s, sibling.Handle); !bytes.Equal(g.Payload, sibling.Payload) {
		t.Errorf("SetPayload changed another session of the subject: %s", g.Payload)
	}
	if ok, err := s.SetPayload(ctx, "unknown", []byte(`{}`)); ok || err != nil {
		t.Errorf("SetPayload(unknown) = %v, %v", ok, err)
	}
	if _, err := s.Revoke(ctx, rec.Handle, now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SetPayload(ctx, rec.Handle, []byte(`{"plan":"free"}`)); ok || err != nil {
		t.Errorf("SetPayload(revoked) = %v, %v; want false, nil", ok, err)
	}
	if g := mustGet(t, s, rec.Handle); string(g.Payload) != `{"plan":"pro"}` {
		t.Errorf("SetPayload changed a revoked row: %s", g.Payload)
	}
}

func TestRevoke(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)
	at := now()
	if ok, err := s.Revoke(ctx, rec.Handle, at); !ok || err != nil {
		t.Fatalf("Revoke = %v, %v", ok, err)
	}
	if ok, err := s.Revoke(ctx, rec.Handle, at.Add(time.Hour)); ok || err != nil {
		t.Fatalf("second Revoke = %v, %v; want false, nil", ok, err)
	}
	if g := mustGet(t, s, rec.Handle); !g.RevokedAt.Equal(at) {
		t.Errorf("RevokedAt = %v, want %v (the first revocation)", g.RevokedAt, at)
	}
	for _, h := range []string{"unknown", "bad\x00", strings.Repeat("h", 1025)} {
		if ok, err := s.Revoke(ctx, h, at); ok || err != nil {
			t.Errorf("Revoke(%q) = %v, %v", h, ok, err)
		}
	}
	if ok, err := s.Revoke(ctx, newRecord("alice", at).Handle, time.Time{}); ok || err == nil {
		t.Errorf("Revoke at the zero time = %v, %v; want an error", ok, err)
	}
	// The longest handle Create accepts can be revoked (its NOTIFY fits).
	long := newRecord("alice", now())
	long.Handle = strings.Repeat("L", 1024)
	mustCreate(t, s, long)
	if ok, err := s.Revoke(ctx, long.Handle, at); !ok || err != nil {
		t.Errorf("Revoke(1024-byte handle) = %v, %v", ok, err)
	}
}

func TestRevokeSubject(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	t0 := now()
	keep := newRecord("alice", t0)
	a1 := newRecord("alice", t0)
	a2 := newRecord("alice", t0.Add(time.Second))
	expired := newRecord("alice", t0.Add(-48*time.Hour)) // expired a day ago
	already := newRecord("alice", t0)
	already.RevokedAt = t0.Add(-time.Minute)
	bob := newRecord("bob", t0)
	for _, r := range []*sessionissuer.Record{keep, a1, a2, expired, already, bob} {
		mustCreate(t, s, r)
	}
	at := t0.Add(time.Minute)
	got, err := s.RevokeSubject(ctx, "alice", keep.Handle, at)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{a1.Handle, a2.Handle}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RevokeSubject = %v, want %v", got, want)
	}
	for _, r := range []*sessionissuer.Record{a1, a2} {
		if g := mustGet(t, s, r.Handle); !g.RevokedAt.Equal(at) {
			t.Errorf("%s RevokedAt = %v, want %v", r.Handle, g.RevokedAt, at)
		}
	}
	for _, r := range []*sessionissuer.Record{keep, expired, bob} {
		if g := mustGet(t, s, r.Handle); !g.RevokedAt.IsZero() {
			t.Errorf("%s (%s) revoked too", r.Handle, r.Subject)
		}
	}
	if g := mustGet(t, s, already.Handle); !g.RevokedAt.Equal(already.RevokedAt) {
		t.Errorf("an already revoked row got a new RevokedAt %v", g.RevokedAt)
	}

	// keep "" revokes every live row, the kept one included.
	got, err = s.RevokeSubject(ctx, "alice", "", at)
	if err != nil || !reflect.DeepEqual(got, []string{keep.Handle}) {
		t.Fatalf("RevokeSubject(keep \"\") = %v, %v; want [%s]", got, err, keep.Handle)
	}
	if got, err := s.RevokeSubject(ctx, "nobody", "", at); err != nil || len(got) != 0 {
		t.Errorf("RevokeSubject(nobody) = %v, %v", got, err)
	}
}

func TestList(t *testing.T) {
	s := newStore(t)
	t0 := now()
	old := newRecord("alice", t0.Add(-time.Hour))
	mid := newRecord("alice", t0.Add(-time.Minute))
	newest := newRecord("alice", t0)
	revoked := newRecord("alice", t0)
	revoked.RevokedAt = t0
	expiresNow := newRecord("alice", t0.Add(-24*time.Hour)) // ExpiresAt == t0: expired at t0
	bob := newRecord("bob", t0)
	for _, r := range []*sessionissuer.Record{mid, old, newest, revoked, expiresNow, bob} {
		mustCreate(t, s, r)
	}
	got, err := s.List(ctxT(t), "alice", t0)
	if err != nil {
		t.Fatal(err)
	}
	var handles []string
	for _, r := range got {
		handles = append(handles, r.Handle)
	}
	if want := []string{newest.Handle, mid.Handle, old.Handle}; !reflect.DeepEqual(handles, want) {
		t.Fatalf("List = %v, want %v (newest first, no revoked or expired)", handles, want)
	}
	if want := *newest; !reflect.DeepEqual(got[0], func() sessionissuer.Record { want.Version = 1; return want }()) {
		t.Errorf("List row = %+v", got[0])
	}
	if got, err := s.List(ctxT(t), "nobody", t0); err != nil || len(got) != 0 {
		t.Errorf("List(nobody) = %v, %v", got, err)
	}
}

func TestDeleteExpired(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	t0 := now()
	var gone []*sessionissuer.Record
	for i := 0; i < 5; i++ {
		r := newRecord("alice", t0.Add(-25*time.Hour)) // expired an hour before t0
		gone = append(gone, r)
	}
	revokedLongAgo := newRecord("alice", t0)
	revokedLongAgo.RevokedAt = t0.Add(-time.Hour)
	gone = append(gone, revokedLongAgo)
	edge := newRecord("alice", t0.Add(-24*time.Hour)) // ExpiresAt == t0: "at or before"
	gone = append(gone, edge)

	live := newRecord("alice", t0)
	revokedRecently := newRecord("alice", t0)
	revokedRecently.RevokedAt = t0.Add(time.Minute)
	for _, r := range append(append([]*sessionissuer.Record{}, gone...), live, revokedRecently) {
		mustCreate(t, s, r)
	}

	if n, err := s.DeleteExpired(ctx, t0, 0); n != 0 || err != nil {
		t.Fatalf("DeleteExpired(limit 0) = %d, %v", n, err)
	}
	n, err := s.DeleteExpired(ctx, t0, 3)
	if n != 3 || err != nil {
		t.Fatalf("DeleteExpired(limit 3) = %d, %v; want 3", n, err)
	}
	n, err = s.DeleteExpired(ctx, t0, 100)
	if n != len(gone)-3 || err != nil {
		t.Fatalf("second DeleteExpired = %d, %v; want %d", n, err, len(gone)-3)
	}
	for _, r := range gone {
		if _, err := s.Get(ctx, r.Handle); !errors.Is(err, sessionissuer.ErrNotFound) {
			t.Errorf("%s still there: %v", r.Handle, err)
		}
	}
	for _, r := range []*sessionissuer.Record{live, revokedRecently} {
		mustGet(t, s, r.Handle)
	}
	if n, err := s.DeleteExpired(ctx, t0, 100); n != 0 || err != nil {
		t.Fatalf("DeleteExpired with nothing left = %d, %v", n, err)
	}
}

func TestKeys(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	blob, v, err := s.LoadKeys(ctx)
	if blob != nil || v != 0 || err != nil {
		t.Fatalf("LoadKeys on an empty store = %q, %d, %v", blob, v, err)
	}
	if ok, err := s.SwapKeys(ctx, 1, []byte("x")); ok || err != nil {
		t.Fatalf("SwapKeys(1) with none stored = %v, %v", ok, err)
	}
	if ok, err := s.SwapKeys(ctx, 0, []byte("ring-1")); !ok || err != nil {
		t.Fatalf("first SwapKeys = %v, %v", ok, err)
	}
	if ok, err := s.SwapKeys(ctx, 0, []byte("other")); ok || err != nil {
		t.Fatalf("second SwapKeys(0) = %v, %v; want false", ok, err)
	}
	blob, v, err = s.LoadKeys(ctx)
	if string(blob) != "ring-1" || v != 1 || err != nil {
		t.Fatalf("LoadKeys = %q, %d, %v", blob, v, err)
	}
	if ok, err := s.SwapKeys(ctx, 1, []byte("ring-2")); !ok || err != nil {
		t.Fatalf("SwapKeys(1) = %v, %v", ok, err)
	}
	if ok, err := s.SwapKeys(ctx, 1, []byte("stale")); ok || err != nil {
		t.Fatalf("stale SwapKeys(1) = %v, %v", ok, err)
	}
	if ok, err := s.SwapKeys(ctx, 1<<63+1, []byte("huge")); ok || err != nil {
		t.Fatalf("SwapKeys(huge) = %v, %v", ok, err)
	}
	blob, v, _ = s.LoadKeys(ctx)
	if string(blob) != "ring-2" || v != 2 {
		t.Fatalf("LoadKeys = %q, %d; want ring-2, 2", blob, v)
	}

	// Instances racing from one version: exactly one wins.
	other := openStore(t, s.Schema())
	for _, from := range []uint64{2, 3} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				st := s
				if i%2 == 1 {
					st = other
				}
				ok, err := st.SwapKeys(ctx, from, []byte{byte(i)})
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("from version %d: %d SwapKeys won; want 1", from, wins)
		}
	}
}

// TestContextHonoured: a done context is an error wrapping ctx.Err() from
// every method, and a deadline that passes while a statement waits is an
// error, never a success.
func TestContextHonoured(t *testing.T) {
	s := newStore(t)
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	u := sessionissuer.RefreshUpdate{Refresh: []byte("x"), RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)}
	calls := map[string]func(context.Context) error{
		"Create":      func(ctx context.Context) error { return s.Create(ctx, newRecord("alice", now())) },
		"Get":         func(ctx context.Context) error { _, err := s.Get(ctx, rec.Handle); return err },
		"GetBadText":  func(ctx context.Context) error { _, err := s.Get(ctx, "\xff"); return err },
		"SwapRefresh": func(ctx context.Context) error { _, _, err := s.SwapRefresh(ctx, rec.Handle, 1, u); return err },
		"SetPayload":  func(ctx context.Context) error { _, err := s.SetPayload(ctx, rec.Handle, nil); return err },
		"Revoke":      func(ctx context.Context) error { _, err := s.Revoke(ctx, rec.Handle, now()); return err },
		"RevokeSubject": func(ctx context.Context) error {
			_, err := s.RevokeSubject(ctx, "alice", "", now())
			return err
		},
		"List":          func(ctx context.Context) error { _, err := s.List(ctx, "alice", now()); return err },
		"DeleteExpired": func(ctx context.Context) error { _, err := s.DeleteExpired(ctx, now(), 10); return err },
		"DeleteExpired0": func(ctx context.Context) error {
			_, err := s.DeleteExpired(ctx, now(), 0)
			return err
		},
		"LoadKeys": func(ctx context.Context) error { _, _, err := s.LoadKeys(ctx); return err },
		"SwapKeys": func(ctx context.Context) error { _, err := s.SwapKeys(ctx, 0, []byte("k")); return err },
		"WatchRevocations": func(ctx context.Context) error {
			return s.WatchRevocations(ctx, time.Time{}, func(sessionissuer.Revocation) {})
		},
		"Migrate": func(ctx context.Context) error { return s.Migrate(ctx) },
		"Ping":    func(ctx context.Context) error { return s.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(canceled); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context = %v; want an error wrapping context.Canceled", name, err)
		}
	}
	if g := mustGet(t, s, rec.Handle); g.Version != 1 || !g.RevokedAt.IsZero() {
		t.Fatalf("calls with a canceled context changed the row: %+v", g)
	}
	if blob, _, _ := s.LoadKeys(ctxT(t)); blob != nil {
		t.Fatal("SwapKeys with a canceled context stored keys")
	}

	t.Run("deadline while waiting for a row lock", func(t *testing.T) {
		admin := adminConn(t)
		tx, err := admin.Begin(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(ctxT(t), "SELECT 1 FROM "+s.Schema()+".sessionguard_sessions WHERE handle = $1 FOR UPDATE", rec.Handle); err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func(context.Context) error{
			"SwapRefresh": calls["SwapRefresh"],
			"Revoke":      calls["Revoke"],
			"SetPayload":  calls["SetPayload"],
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			start := time.Now()
			err := call(ctx)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s blocked by a lock = %v; want an error wrapping context.DeadlineExceeded", name, err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%s returned %v after its deadline", name, d)
			}
		}
		_ = tx.Rollback(ctxT(t))
		// A statement the server had not canceled would now get the lock
		// and apply: give it the time to, then check that none did.
		time.Sleep(500 * time.Millisecond)
		if g := mustGet(t, s, rec.Handle); g.Version != 1 || !g.RevokedAt.IsZero() || !bytes.Equal(g.Payload, rec.Payload) {
			t.Fatalf("timed-out calls were applied after they returned their error: %+v", g)
		}
		// The pool recovers from the interrupted connections.
		if _, ok, err := s.SwapRefresh(ctxT(t), rec.Handle, 1, u); !ok || err != nil {
			t.Fatalf("SwapRefresh after the lock = %v, %v", ok, err)
		}
	})
}

// TestUnreachableServer: with nothing listening, every call is an error
// (never ErrNotFound, never a success), returned promptly.
func TestUnreachableServer(t *testing.T) {
	url := "postgres://postgres:s3cr3t-pw@127.0.0.1:" + closedPort(t) + "/test?sslmode=disable&connect_timeout=2"
	s, err := pgstore.New(context.Background(), url, pgstore.WithSchema("nowhere"))
	if err != nil {
		t.Fatalf("New does not connect, so it succeeds: %v", err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := map[string]error{}
	_, errs["Get"] = s.Get(ctx, "h")
	_, _, errs["SwapRefresh"] = s.SwapRefresh(ctx, "h", 1, sessionissuer.RefreshUpdate{})
	_, errs["Revoke"] = s.Revoke(ctx, "h", now())
	_, errs["List"] = s.List(ctx, "alice", now())
	_, _, errs["LoadKeys"] = s.LoadKeys(ctx)
	errs["Create"] = s.Create(ctx, newRecord("alice", now()))
	errs["Migrate"] = s.Migrate(ctx)
	errs["Ping"] = s.Ping(ctx)
	errs["WatchRevocations"] = s.WatchRevocations(ctx, time.Time{}, func(sessionissuer.Revocation) {})
	for name, err := range errs {
		if err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
			t.Errorf("%s against a closed port = %v; want an error", name, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("%s error text holds the password: %v", name, err)
		}
	}
	if ctx.Err() != nil {
		t.Error("calls against a closed port took more than 5 s")
	}
}

func TestNewRejects(t *testing.T) {
	for _, name := range []string{"", "1abc", "a-b", "a.b", `a"b`, strings.Repeat("a", 47)} {
		if _, err := pgstore.New(context.Background(), defaultURL, pgstore.WithSchema(name)); err == nil {
			t.Errorf("WithSchema(%q) accepted", name)
		}
	}
	if _, err := pgstore.New(context.Background(), defaultURL, pgstore.WithSchema(strings.Repeat("a", 46))); err != nil {
		t.Errorf("46-byte schema name refused: %v", err)
	}
	if _, err := pgstore.New(context.Background(), defaultURL, pgstore.WithWatchPing(0)); err == nil {
		t.Error("WithWatchPing(0) accepted")
	}
	_, err := pgstore.New(context.Background(), "postgres://u:hunter2-secret@[::1/db?port=x")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("bad connection string: %v; want an error without the password", err)
	}
	if _, err := pgstore.NewFromPool(nil); err == nil {
		t.Error("NewFromPool(nil) accepted")
	}
}

// TestSchemasIsolated: two stores on two schemas of one database share
// nothing.
func TestSchemasIsolated(t *testing.T) {
	a, b := newStore(t), newStore(t)
	rec := newRecord("alice", now())
	mustCreate(t, a, rec)
	if _, err := b.Get(ctxT(t), rec.Handle); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Fatalf("other schema's Get = %v; want ErrNotFound", err)
	}
	mustCreate(t, b, rec) // the same handle is free there
}

// TestNewFromPool: a Store over the application's pool works and leaves the
// pool open on Close.
func TestNewFromPool(t *testing.T) {
	schema := freshSchema(t)
	pool, err := pgxpool.New(context.Background(), serverURL())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := pgstore.NewFromPool(pool, pgstore.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)
	w := startWatch(t, s, now())
	if _, err := s.Revoke(ctxT(t), rec.Handle, now()); err != nil {
		t.Fatal(err)
	}
	if missing := w.waitFor(2*time.Second, rec.Handle); missing != nil {
		t.Fatal("revocation not delivered over NewFromPool")
	}
	s.Close()
	if err := pool.Ping(ctxT(t)); err != nil {
		t.Fatalf("Close closed the caller's pool: %v", err)
	}
}

// TestSynchronousCommit: New runs its sessions with synchronous_commit=on
// (durable successes) unless the connection string chooses otherwise.
func TestSynchronousCommit(t *testing.T) {
	needServer(t)
	for _, tc := range []struct{ url, want string }{
		{serverURL(), "on"},
		{withParam(serverURL(), "synchronous_commit=off"), "off"},
	} {
		s := openStoreURL(t, tc.url, "public")
		var got string
		if err := pgstore.PoolOf(s).QueryRow(ctxT(t), "SHOW synchronous_commit").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("synchronous_commit = %q, want %q", got, tc.want)
		}
	}
}

// TestDeleteExpiredSkipsLockedRows: a sweep does not wait for a row another
// transaction holds (a refresh in flight, another instance's sweep); it
// removes the others and leaves that one to a later sweep.
func TestDeleteExpiredSkipsLockedRows(t *testing.T) {
	s := newStore(t)
	t0 := now()
	locked := newRecord("alice", t0.Add(-48*time.Hour))
	mustCreate(t, s, locked)
	var others []*sessionissuer.Record
	for i := 0; i < 3; i++ {
		r := newRecord("alice", t0.Add(-48*time.Hour))
		mustCreate(t, s, r)
		others = append(others, r)
	}
	tx, err := adminConn(t).Begin(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctxT(t), "SELECT 1 FROM "+s.Schema()+".sessionguard_sessions WHERE handle = $1 FOR UPDATE", locked.Handle); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := s.DeleteExpired(ctx, t0, 100)
	if err != nil || n != len(others) {
		t.Fatalf("DeleteExpired with one row locked = %d, %v; want %d, nil without waiting", n, err, len(others))
	}
	_ = tx.Rollback(ctxT(t))
	if n, err := s.DeleteExpired(ctxT(t), t0, 100); n != 1 || err != nil {
		t.Fatalf("DeleteExpired after the lock = %d, %v; want the once-locked row", n, err)
	}
}
