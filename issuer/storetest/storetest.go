package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// Run runs the whole suite against the stores newStore returns.
func Run(t *testing.T, newStore func(t *testing.T) sessionissuer.Store) {
	t.Helper()
	t.Run("Raw", func(t *testing.T) { RunRaw(t, newStore) })
	t.Run("Issuer", func(t *testing.T) { RunIssuer(t, newStore) })
}

// RunRaw runs the raw-contract part of the suite: each Store method on its
// own, as the interface's documentation states it.
func RunRaw(t *testing.T, newStore func(t *testing.T) sessionissuer.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s sessionissuer.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateDuplicate", testCreateDuplicate},
		{"GetMissing", testGetMissing},
		{"SwapRefresh", testSwapRefresh},
		{"SwapRefreshMismatch", testSwapRefreshMismatch},
		{"SwapRefreshRevoked", testSwapRefreshRevoked},
		{"SwapRefreshMissing", testSwapRefreshMissing},
		{"SwapRefreshConcurrent", testSwapRefreshConcurrent},
		{"SetPayload", testSetPayload},
		{"Revoke", testRevoke},
		{"RevokeSubject", testRevokeSubject},
		{"List", testList},
		{"DeleteExpired", testDeleteExpired},
		{"Keys", testKeys},
		{"WatchRevocations", testWatch},
		{"WatchRevocationsEnds", testWatchEnds},
		{"CancelledContext", testCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// ms is the precision the contract promises for stored times.
const ms = time.Millisecond

func randomID(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wallNow is the store-side time: real wall time, cut to milliseconds.
func wallNow() time.Time { return time.Now().UTC().Truncate(ms) }

func newRecord(t *testing.T, subject string, created time.Time) *sessionissuer.Record {
	return &sessionissuer.Record{
		Handle:      randomID(t, ""),
		Subject:     subject,
		CreatedAt:   created,
		RefreshedAt: created,
		ExpiresAt:   created.Add(24 * time.Hour),
		UserAgent:   "storetest/1.0",
		IP:          "192.0.2.1",
		Label:       "laptop",
		Payload:     []byte(`{"role":"admin"}`),
		Refresh:     []byte{1, 2, 3, 0, 255},
		Version:     99, // ignored on input
	}
}

func mustCreate(t *testing.T, s sessionissuer.Store, r *sessionissuer.Record) {
	t.Helper()
	if err := s.Create(ctxT(t), r); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func mustGet(t *testing.T, s sessionissuer.Store, h string) *sessionissuer.Record {
	t.Helper()
	r, err := s.Get(ctxT(t), h)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return r
}

func sameTime(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	d := a.Sub(b)
	return d < ms && d > -ms
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func checkRecord(t *testing.T, got, want *sessionissuer.Record) {
	t.Helper()
	if got.Handle != want.Handle || got.Subject != want.Subject || got.UserAgent != want.UserAgent ||
		got.IP != want.IP || got.Label != want.Label {
		t.Errorf("record = %+v, want %+v", got, want)
	}
	if string(got.Payload) != string(want.Payload) {
		t.Errorf("Payload = %q, want %q", got.Payload, want.Payload)
	}
	if string(got.Refresh) != string(want.Refresh) {
		t.Errorf("Refresh = %x, want %x", got.Refresh, want.Refresh)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "RefreshedAt", got.RefreshedAt, want.RefreshedAt)
	checkTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, "RevokedAt", got.RevokedAt, want.RevokedAt)
}

func testCreateGet(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	in := newRecord(t, randomID(t, "sub-"), now)
	want := *in
	want.Payload, want.Refresh = slices.Clone(in.Payload), slices.Clone(in.Refresh)
	mustCreate(t, s, in)
	in.Payload[0], in.Refresh[0] = 'X', 42 // the store kept copies
	got := mustGet(t, s, want.Handle)
	checkRecord(t, got, &want)
	if got.Version != 1 {
		t.Errorf("Version = %d, want 1", got.Version)
	}
	got.Payload[0], got.Refresh[0] = 'Y', 43 // returned slices are the caller's
	checkRecord(t, mustGet(t, s, want.Handle), &want)

	// Empty payload, refresh state and device fields round-trip too.
	e := &sessionissuer.Record{Handle: randomID(t, ""), Subject: randomID(t, "sub-"), CreatedAt: now, RefreshedAt: now, ExpiresAt: now.Add(time.Hour), Payload: []byte("{}")}
	mustCreate(t, s, e)
	ge := mustGet(t, s, e.Handle)
	if ge.UserAgent != "" || ge.IP != "" || ge.Label != "" || len(ge.Refresh) != 0 || string(ge.Payload) != "{}" {
		t.Errorf("empty fields = %+v", ge)
	}
}

func testCreateDuplicate(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	a := newRecord(t, randomID(t, "sub-"), now)
	mustCreate(t, s, a)
	b := newRecord(t, randomID(t, "sub-"), now.Add(time.Second))
	b.Handle = a.Handle
	err := s.Create(ctxT(t), b)
	if err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
		t.Fatalf("duplicate Create = %v, want an error other than ErrNotFound", err)
	}
	if got := mustGet(t, s, a.Handle); got.Subject != a.Subject {
		t.Errorf("duplicate Create changed the row: subject %q", got.Subject)
	}
}

func testGetMissing(t *testing.T, s sessionissuer.Store) {
	if _, err := s.Get(ctxT(t), randomID(t, "")); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
	}
}

func update(r *sessionissuer.Record, state string, at time.Time) sessionissuer.RefreshUpdate {
	return sessionissuer.RefreshUpdate{Refresh: []byte(state), RefreshedAt: at, ExpiresAt: at.Add(48 * time.Hour)}
}

func testSwapRefresh(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	r := newRecord(t, randomID(t, "sub-"), now)
	mustCreate(t, s, r)
	at := now.Add(time.Minute)
	u := update(r, "state-2", at)
	got, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 1, u)
	if err != nil || !ok || got == nil {
		t.Fatalf("SwapRefresh = %v, %v, %v; want the row, true, nil", got, ok, err)
	}
	want := *r
	want.Refresh, want.RefreshedAt, want.ExpiresAt = slices.Clone(u.Refresh), at, u.ExpiresAt
	checkRecord(t, got, &want)
	if got.Version != 2 {
		t.Errorf("returned Version = %d, want 2", got.Version)
	}
	u.Refresh[0] = 'X' // the store kept a copy
	stored := mustGet(t, s, r.Handle)
	checkRecord(t, stored, &want)
	if stored.Version != 2 {
		t.Errorf("stored Version = %d, want 2", stored.Version)
	}
	// A second swap from the new version succeeds too.
	if _, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 2, update(r, "state-3", at)); err != nil || !ok {
		t.Fatalf("SwapRefresh from version 2 = %v, %v", ok, err)
	}
}

func testSwapRefreshMismatch(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	r := newRecord(t, randomID(t, "sub-"), now)
	mustCreate(t, s, r)
	if _, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 1, update(r, "winner", now.Add(time.Second))); err != nil || !ok {
		t.Fatalf("first swap = %v, %v", ok, err)
	}
	if ok, err := s.SetPayload(ctxT(t), r.Handle, []byte(`{"role":"user"}`)); err != nil || !ok {
		t.Fatalf("SetPayload = %v, %v", ok, err)
	}
	got, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 1, update(r, "loser", now.Add(2*time.Second)))
	if err != nil || ok {
		t.Fatalf("stale swap = %v, %v; want false, nil", ok, err)
	}
	if got == nil || got.Version != 2 || string(got.Refresh) != "winner" || string(got.Payload) != `{"role":"user"}` {
		t.Fatalf("stale swap returned %+v; want the stored row (version 2, state winner, new payload)", got)
	}
	if stored := mustGet(t, s, r.Handle); string(stored.Refresh) != "winner" || stored.Version != 2 {
		t.Errorf("stale swap changed the row: %+v", stored)
	}
	// A version from the future does not match either.
	if _, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 3, update(r, "future", now)); err != nil || ok {
		t.Errorf("swap from version 3 = %v, %v; want false, nil", ok, err)
	}
}

func testSwapRefreshRevoked(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	r := newRecord(t, randomID(t, "sub-"), now)
	mustCreate(t, s, r)
	if ok, err := s.Revoke(ctxT(t), r.Handle, now.Add(time.Second)); err != nil || !ok {
		t.Fatalf("Revoke = %v, %v", ok, err)
	}
	got, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 1, update(r, "after-revoke", now.Add(2*time.Second)))
	if err != nil || ok {
		t.Fatalf("swap on a revoked row = %v, %v; want false, nil", ok, err)
	}
	if got == nil || got.RevokedAt.IsZero() || string(got.Refresh) == "after-revoke" {
		t.Fatalf("swap on a revoked row returned %+v; want the revoked row unchanged", got)
	}
	if stored := mustGet(t, s, r.Handle); string(stored.Refresh) == "after-revoke" || stored.Version != 1 {
		t.Errorf("swap changed a revoked row: %+v", stored)
	}
}

func testSwapRefreshMissing(t *testing.T, s sessionissuer.Store) {
	got, ok, err := s.SwapRefresh(ctxT(t), randomID(t, ""), 1, sessionissuer.RefreshUpdate{Refresh: []byte("x"), RefreshedAt: wallNow(), ExpiresAt: wallNow()})
	if err != nil || ok || got != nil {
		t.Fatalf("swap on a missing row = %v, %v, %v; want nil, false, nil", got, ok, err)
	}
}

func testSwapRefreshConcurrent(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	r := newRecord(t, randomID(t, "sub-"), now)
	mustCreate(t, s, r)
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
		errs    []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state := string(rune('a' + i))
			_, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 1, update(r, state, now.Add(time.Second)))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				winners = append(winners, state)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("concurrent swaps failed: %v", errs)
	}
	if len(winners) != 1 {
		t.Fatalf("%d swaps from one version succeeded (%v), want exactly 1", len(winners), winners)
	}
	if stored := mustGet(t, s, r.Handle); string(stored.Refresh) != winners[0] || stored.Version != 2 {
		t.Errorf("stored %q version %d, want the winner %q at version 2", stored.Refresh, stored.Version, winners[0])
	}
}

func testSetPayload(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	sub := randomID(t, "sub-")
	r := newRecord(t, sub, now)
	other := newRecord(t, sub, now)
	mustCreate(t, s, r)
	mustCreate(t, s, other)
	p := []byte(`{"role":"owner"}`)
	ok, err := s.SetPayload(ctxT(t), r.Handle, p)
	if err != nil || !ok {
		t.Fatalf("SetPayload = %v, %v", ok, err)
	}
	p[2] = 'X'
	got := mustGet(t, s, r.Handle)
	if string(got.Payload) != `{"role":"owner"}` || got.Version != 1 {
		t.Errorf("after SetPayload: payload %q version %d; want the new payload, version unchanged", got.Payload, got.Version)
	}
	if o := mustGet(t, s, other.Handle); string(o.Payload) != string(other.Payload) {
		t.Errorf("SetPayload changed another session of the subject: %q", o.Payload)
	}
	// SetPayload never makes a refresh swap fail.
	if _, ok, err := s.SwapRefresh(ctxT(t), r.Handle, 1, update(r, "s", now)); err != nil || !ok {
		t.Errorf("swap after SetPayload = %v, %v; want success", ok, err)
	}
	if ok, err := s.SetPayload(ctxT(t), randomID(t, ""), p); err != nil || ok {
		t.Errorf("SetPayload(missing) = %v, %v; want false, nil", ok, err)
	}
	if _, err := s.Revoke(ctxT(t), r.Handle, now); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SetPayload(ctxT(t), r.Handle, []byte(`{"a":1}`)); err != nil || ok {
		t.Errorf("SetPayload(revoked) = %v, %v; want false, nil", ok, err)
	}
	if got := mustGet(t, s, r.Handle); string(got.Payload) != `{"role":"owner"}` {
		t.Errorf("SetPayload changed a revoked row: %q", got.Payload)
	}
}

func testRevoke(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	r := newRecord(t, randomID(t, "sub-"), now)
	mustCreate(t, s, r)
	at := now.Add(time.Minute)
	if ok, err := s.Revoke(ctxT(t), r.Handle, at); err != nil || !ok {
		t.Fatalf("Revoke = %v, %v; want true", ok, err)
	}
	checkTime(t, "RevokedAt", mustGet(t, s, r.Handle).RevokedAt, at)
	if ok, err := s.Revoke(ctxT(t), r.Handle, at.Add(time.Minute)); err != nil || ok {
		t.Errorf("second Revoke = %v, %v; want false, nil", ok, err)
	}
	checkTime(t, "RevokedAt after the second Revoke", mustGet(t, s, r.Handle).RevokedAt, at)
	if ok, err := s.Revoke(ctxT(t), randomID(t, ""), at); err != nil || ok {
		t.Errorf("Revoke(missing) = %v, %v; want false, nil", ok, err)
	}
}

func testRevokeSubject(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	sub, otherSub := randomID(t, "sub-"), randomID(t, "sub-")
	a, b, keep := newRecord(t, sub, now), newRecord(t, sub, now), newRecord(t, sub, now)
	expired := newRecord(t, sub, now.Add(-48*time.Hour))
	expired.ExpiresAt = now.Add(-time.Hour)
	already := newRecord(t, sub, now)
	other := newRecord(t, otherSub, now)
	for _, r := range []*sessionissuer.Record{a, b, keep, expired, already, other} {
		mustCreate(t, s, r)
	}
	early := now.Add(-time.Minute)
	if _, err := s.Revoke(ctxT(t), already.Handle, early); err != nil {
		t.Fatal(err)
	}
	got, err := s.RevokeSubject(ctxT(t), sub, keep.Handle, now)
	if err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	slices.Sort(got)
	want := []string{a.Handle, b.Handle}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("RevokeSubject revoked %v, want %v (not keep, expired, already revoked or another subject)", got, want)
	}
	for _, r := range []*sessionissuer.Record{a, b} {
		checkTime(t, "RevokedAt", mustGet(t, s, r.Handle).RevokedAt, now)
	}
	for _, r := range []*sessionissuer.Record{keep, expired, other} {
		if g := mustGet(t, s, r.Handle); !g.RevokedAt.IsZero() {
			t.Errorf("RevokeSubject revoked %s", r.Label)
		}
	}
	checkTime(t, "RevokedAt of the earlier revocation", mustGet(t, s, already.Handle).RevokedAt, early)
	// Without keep, the rest goes too.
	got, err = s.RevokeSubject(ctxT(t), sub, "", now.Add(time.Second))
	if err != nil || !slices.Equal(got, []string{keep.Handle}) {
		t.Errorf("RevokeSubject(keep \"\") = %v, %v; want [keep]", got, err)
	}
	if got, err := s.RevokeSubject(ctxT(t), randomID(t, "sub-"), "", now); err != nil || len(got) != 0 {
		t.Errorf("RevokeSubject(unknown subject) = %v, %v; want none", got, err)
	}
}

func testList(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	sub := randomID(t, "sub-")
	old := newRecord(t, sub, now.Add(-2*time.Hour))
	mid := newRecord(t, sub, now.Add(-time.Hour))
	newest := newRecord(t, sub, now.Add(-time.Minute))
	revoked := newRecord(t, sub, now.Add(-30*time.Minute))
	expired := newRecord(t, sub, now.Add(-3*time.Hour))
	expired.ExpiresAt = now // at now: expired (no leeway)
	other := newRecord(t, randomID(t, "sub-"), now)
	for _, r := range []*sessionissuer.Record{mid, old, newest, revoked, expired, other} {
		mustCreate(t, s, r)
	}
	if _, err := s.Revoke(ctxT(t), revoked.Handle, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(ctxT(t), sub, now)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var handles []string
	for _, r := range got {
		handles = append(handles, r.Handle)
	}
	want := []string{newest.Handle, mid.Handle, old.Handle}
	if !slices.Equal(handles, want) {
		t.Fatalf("List = %v, want %v (newest first, live only)", handles, want)
	}
	checkRecord(t, &got[0], newest)
	// Rows expire by the now given.
	if got, err := s.List(ctxT(t), sub, now.Add(25*time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("List after every expiry = %d rows, %v; want none", len(got), err)
	}
	if got, err := s.List(ctxT(t), randomID(t, "sub-"), now); err != nil || len(got) != 0 {
		t.Errorf("List(unknown subject) = %v, %v; want none", got, err)
	}
}

func testDeleteExpired(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	sub := randomID(t, "sub-")
	// Rows that expired long ago, at distinct times, and one revoked long ago.
	before := now.Add(-10 * 24 * time.Hour)
	var gone []*sessionissuer.Record
	for i := range 3 {
		r := newRecord(t, sub, before.Add(-48*time.Hour))
		r.ExpiresAt = before.Add(-time.Duration(i) * time.Minute)
		gone = append(gone, r)
	}
	revoked := newRecord(t, sub, before.Add(-48*time.Hour))
	revoked.ExpiresAt = now.Add(time.Hour)
	gone = append(gone, revoked)
	live := newRecord(t, sub, now)
	revokedLater := newRecord(t, sub, now) // revoked after before: kept for the feed
	for _, r := range append(slices.Clone(gone), live, revokedLater) {
		mustCreate(t, s, r)
	}
	if _, err := s.Revoke(ctxT(t), revoked.Handle, before.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctxT(t), revokedLater.Handle, now); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpired(ctxT(t), before, 2)
	if err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}
	if n > 2 {
		t.Fatalf("DeleteExpired(limit 2) removed %d rows", n)
	}
	if n == 0 {
		t.Log("DeleteExpired removed nothing: the store relies on native expiry")
	} else {
		if n != 2 {
			t.Errorf("DeleteExpired(limit 2) removed %d rows with at least 4 due", n)
		}
		for i := 0; i < 1000; i++ { // drain whatever else is due on a shared server
			n, err := s.DeleteExpired(ctxT(t), before, 100)
			if err != nil {
				t.Fatalf("DeleteExpired: %v", err)
			}
			if n == 0 {
				break
			}
		}
		for _, r := range gone {
			if _, err := s.Get(ctxT(t), r.Handle); !errors.Is(err, sessionissuer.ErrNotFound) {
				t.Errorf("row due for deletion still there: Get = %v", err)
			}
		}
	}
	for _, r := range []*sessionissuer.Record{live, revokedLater} {
		if _, err := s.Get(ctxT(t), r.Handle); err != nil {
			t.Errorf("DeleteExpired removed a row not due: %v", err)
		}
	}
	if n, err := s.DeleteExpired(ctxT(t), before, 0); err != nil || n != 0 {
		t.Errorf("DeleteExpired(limit 0) = %d, %v; want 0, nil", n, err)
	}
}

func testKeys(t *testing.T, s sessionissuer.Store) {
	ctx := ctxT(t)
	// Make sure the ring the test puts back is one issuers can read: let an
	// issuer load (or generate) it first. Restoring "no ring" is impossible
	// through SwapKeys.
	if iss, err := sessionissuer.New(s, sessionissuer.WithIssuer("https://storetest.example"),
		sessionissuer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))); err != nil {
		t.Fatalf("New: %v", err)
	} else {
		if err := iss.Ready(ctx); err != nil {
			t.Logf("the store's key ring is not readable by an issuer (%v); testing the raw contract anyway", err)
		}
		iss.Close()
	}
	orig, v, err := s.LoadKeys(ctx)
	if err != nil {
		t.Fatalf("LoadKeys: %v", err)
	}
	if v == 0 && orig != nil {
		t.Errorf("LoadKeys at version 0 returned a blob")
	}
	if ok, err := s.SwapKeys(ctx, v+1, []byte("from the future")); err != nil || ok {
		t.Fatalf("SwapKeys(stored version + 1) = %v, %v; want false, nil", ok, err)
	}
	blob := []byte(randomID(t, "ring-"))
	want := string(blob)
	if ok, err := s.SwapKeys(ctx, v, blob); err != nil || !ok {
		t.Fatalf("SwapKeys(%d) = %v, %v; want true", v, ok, err)
	}
	blob[0] = 'X' // the store kept a copy
	got, v2, err := s.LoadKeys(ctx)
	if err != nil || string(got) != want || v2 != v+1 {
		t.Fatalf("LoadKeys = %q, %d, %v; want %q, %d", got, v2, err, want, v+1)
	}
	got[0] = 'Y' // returned slices are the caller's
	if again, _, _ := s.LoadKeys(ctx); string(again) != want {
		t.Errorf("LoadKeys returned the store's own slice")
	}
	if ok, err := s.SwapKeys(ctx, v, []byte("stale")); err != nil || ok {
		t.Errorf("SwapKeys(stale version) = %v, %v; want false, nil", ok, err)
	}
	// Concurrent swaps from one version: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.SwapKeys(ctx, v+1, []byte(randomID(t, "race-")))
			if err != nil {
				t.Errorf("SwapKeys: %v", err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent SwapKeys from one version succeeded, want 1", wins)
	}
	// Put the ring found back (as a new version) for issuers sharing the store.
	if ok, err := s.SwapKeys(ctx, v+2, orig); err != nil || !ok {
		t.Errorf("restoring the key ring = %v, %v", ok, err)
	}
}

type feed struct {
	mu   sync.Mutex
	seen map[string]time.Time
	ch   chan struct{}
}

func newFeed() *feed { return &feed{seen: make(map[string]time.Time), ch: make(chan struct{}, 1)} }

func (f *feed) add(r sessionissuer.Revocation) {
	f.mu.Lock()
	f.seen[r.Handle] = r.At
	f.mu.Unlock()
	select {
	case f.ch <- struct{}{}:
	default:
	}
}

func (f *feed) has(h string) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at, ok := f.seen[h]
	return at, ok
}

// wait waits up to 2 s (the contract's cross-process bound) for h.
func (f *feed) wait(t *testing.T, h string) time.Time {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		if at, ok := f.has(h); ok {
			return at
		}
		select {
		case <-f.ch:
		case <-deadline:
			t.Fatalf("revocation of %s not delivered within 2 s", h)
			return time.Time{}
		}
	}
}

func testWatch(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	sub := randomID(t, "sub-")
	before, caught, live, viaSubject := newRecord(t, sub, now), newRecord(t, sub, now), newRecord(t, sub, now), newRecord(t, randomID(t, "sub-"), now)
	for _, r := range []*sessionissuer.Record{before, caught, live, viaSubject} {
		mustCreate(t, s, r)
	}
	since := now.Add(-time.Minute)
	if _, err := s.Revoke(ctxT(t), before.Handle, since.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctxT(t), caught.Handle, now); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := newFeed()
	done := make(chan error, 1)
	go func() { done <- s.WatchRevocations(ctx, since, f.add) }()
	defer func() {
		cancel()
		<-done
	}()
	checkTime(t, "At of the caught-up revocation", f.wait(t, caught.Handle), now)
	at := wallNow()
	if _, err := s.Revoke(ctxT(t), live.Handle, at); err != nil {
		t.Fatal(err)
	}
	checkTime(t, "At of the live revocation", f.wait(t, live.Handle), at)
	if _, err := s.RevokeSubject(ctxT(t), viaSubject.Subject, "", at); err != nil {
		t.Fatal(err)
	}
	f.wait(t, viaSubject.Handle)
	if _, ok := f.has(before.Handle); ok {
		// Allowed (the issuer ignores revocations older than it needs),
		// but worth knowing: since should save the catch-up.
		t.Log("a revocation with At before since was delivered too")
	}
}

func testWatchEnds(t *testing.T, s sessionissuer.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.WatchRevocations(ctx, wallNow(), func(sessionissuer.Revocation) {}) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WatchRevocations after cancel = %v, want an error wrapping context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("WatchRevocations did not return within 2 s of its context ending")
	}
}

func testCancelled(t *testing.T, s sessionissuer.Store) {
	now := wallNow()
	r := newRecord(t, randomID(t, "sub-"), now)
	mustCreate(t, s, r)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fresh := newRecord(t, r.Subject, now)
	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v, want an error wrapping context.Canceled", name, err)
		}
	}
	check("Create", s.Create(ctx, fresh))
	_, err := s.Get(ctx, r.Handle)
	check("Get", err)
	_, _, err = s.SwapRefresh(ctx, r.Handle, 1, update(r, "x", now))
	check("SwapRefresh", err)
	_, err = s.SetPayload(ctx, r.Handle, []byte(`{"x":1}`))
	check("SetPayload", err)
	_, err = s.Revoke(ctx, r.Handle, now)
	check("Revoke", err)
	_, err = s.RevokeSubject(ctx, r.Subject, "", now)
	check("RevokeSubject", err)
	_, err = s.List(ctx, r.Subject, now)
	check("List", err)
	_, err = s.DeleteExpired(ctx, now.Add(100*24*time.Hour), 10)
	check("DeleteExpired", err)
	check("WatchRevocations", s.WatchRevocations(ctx, now, func(sessionissuer.Revocation) {}))
	_, _, err = s.LoadKeys(ctx)
	check("LoadKeys", err)
	_, err = s.SwapKeys(ctx, 0, []byte("x"))
	check("SwapKeys", err)
	// Nothing happened.
	if _, err := s.Get(ctxT(t), fresh.Handle); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Errorf("Create with a cancelled context stored the row (Get = %v)", err)
	}
	got := mustGet(t, s, r.Handle)
	checkRecord(t, got, r)
	if got.Version != 1 {
		t.Errorf("cancelled calls changed the row: version %d", got.Version)
	}
}
