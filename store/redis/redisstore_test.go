package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
)

func sameRecord(t *testing.T, got, want *sessionissuer.Record) {
	t.Helper()
	if got == nil {
		t.Fatalf("got no record, want %s", want.Handle)
	}
	if got.Handle != want.Handle || got.Subject != want.Subject || got.UserAgent != want.UserAgent ||
		got.IP != want.IP || got.Label != want.Label || got.Version != want.Version {
		t.Errorf("record fields differ:\n got %+v\nwant %+v", got, want)
	}
	for _, tc := range []struct {
		name      string
		got, want time.Time
	}{
		{"CreatedAt", got.CreatedAt, want.CreatedAt},
		{"RefreshedAt", got.RefreshedAt, want.RefreshedAt},
		{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
		{"RevokedAt", got.RevokedAt, want.RevokedAt},
	} {
		if !tc.got.Equal(tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
		if !tc.got.IsZero() && tc.got.Location() != time.UTC {
			t.Errorf("%s not in UTC: %v", tc.name, tc.got.Location())
		}
	}
	if !bytes.Equal(got.Payload, want.Payload) || !bytes.Equal(got.Refresh, want.Refresh) {
		t.Errorf("payload/refresh differ: got %q %q, want %q %q", got.Payload, got.Refresh, want.Payload, want.Refresh)
	}
}

func TestCreateGet(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rec := record("alice", now())
	rec.Version = 42 // ignored on input
	mustCreate(t, s, rec)

	got, err := s.Get(ctx, rec.Handle)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := *rec
	want.Version = 1
	sameRecord(t, got, &want)

	t.Run("caller's slices are copied", func(t *testing.T) {
		got.Payload[0] = 'X'
		again, err := s.Get(ctx, rec.Handle)
		if err != nil || again.Payload[0] != '{' {
			t.Fatalf("returned payload aliased the store's: %q %v", again.Payload, err)
		}
	})
	t.Run("duplicate handle", func(t *testing.T) {
		dup := record("bob", now())
		dup.Handle = rec.Handle
		err := s.Create(ctx, dup)
		if err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
			t.Fatalf("Create of an existing handle = %v, want an error other than ErrNotFound", err)
		}
		again, _ := s.Get(ctx, rec.Handle)
		if again.Subject != "alice" {
			t.Fatalf("duplicate Create overwrote the row: %+v", again)
		}
	})
	t.Run("unknown handle", func(t *testing.T) {
		if _, err := s.Get(ctx, randomHandle()); !errors.Is(err, sessionissuer.ErrNotFound) {
			t.Fatalf("Get(unknown) = %v, want ErrNotFound", err)
		}
	})
	t.Run("binary and empty values", func(t *testing.T) {
		r := record("carol", now())
		r.Payload = nil
		r.Label = ""
		r.Refresh = bytes.Repeat([]byte{0, '\r', '\n', 0xfe}, 300)
		mustCreate(t, s, r)
		got, err := s.Get(ctx, r.Handle)
		if err != nil {
			t.Fatal(err)
		}
		r.Version = 1
		sameRecord(t, got, r)
	})
	t.Run("created revoked", func(t *testing.T) {
		r := record("dave", now())
		r.RevokedAt = now()
		mustCreate(t, s, r)
		got, err := s.Get(ctx, r.Handle)
		if err != nil {
			t.Fatal(err)
		}
		if !got.RevokedAt.Equal(r.RevokedAt) {
			t.Fatalf("RevokedAt = %v, want %v", got.RevokedAt, r.RevokedAt)
		}
	})
	t.Run("invalid records", func(t *testing.T) {
		for name, r := range map[string]*sessionissuer.Record{
			"nil":        nil,
			"no handle":  {Subject: "x"},
			"no subject": {Handle: randomHandle()},
		} {
			if err := s.Create(ctx, r); err == nil {
				t.Errorf("%s: Create succeeded", name)
			}
		}
	})
}

func TestExpiredRowsAreReadable(t *testing.T) {
	// The issuer judges expiry; a row written with a past ExpiresAt is
	// still returned (for one retention) rather than vanishing at once.
	s := newStore(t)
	old := now().Add(-48 * time.Hour)
	rec := record("alice", old)
	rec.ExpiresAt = old.Add(time.Hour)
	mustCreate(t, s, rec)
	got, err := s.Get(context.Background(), rec.Handle)
	if err != nil {
		t.Fatalf("Get of an expired row: %v", err)
	}
	if !got.ExpiresAt.Equal(rec.ExpiresAt) {
		t.Fatalf("ExpiresAt = %v, want %v", got.ExpiresAt, rec.ExpiresAt)
	}
}

func TestSwapRefresh(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rec := record("alice", now())
	mustCreate(t, s, rec)

	u := sessionissuer.RefreshUpdate{
		Refresh:     []byte("state-2"),
		RefreshedAt: now(),
		ExpiresAt:   now().Add(31 * 24 * time.Hour),
	}
	got, ok, err := s.SwapRefresh(ctx, rec.Handle, 1, u)
	if err != nil || !ok {
		t.Fatalf("SwapRefresh(v1) = %v, %v", ok, err)
	}
	want := *rec
	want.Refresh, want.RefreshedAt, want.ExpiresAt, want.Version = u.Refresh, u.RefreshedAt, u.ExpiresAt, 2
	sameRecord(t, got, &want)

	t.Run("stale version returns the stored row", func(t *testing.T) {
		got, ok, err := s.SwapRefresh(ctx, rec.Handle, 1, sessionissuer.RefreshUpdate{Refresh: []byte("lost"), RefreshedAt: now(), ExpiresAt: now()})
		if err != nil || ok {
			t.Fatalf("SwapRefresh(stale) = %v, %v; want false, nil", ok, err)
		}
		sameRecord(t, got, &want)
	})
	t.Run("payload set since is returned", func(t *testing.T) {
		if ok, err := s.SetPayload(ctx, rec.Handle, []byte(`{"role":"user"}`)); !ok || err != nil {
			t.Fatalf("SetPayload = %v, %v", ok, err)
		}
		got, ok, err := s.SwapRefresh(ctx, rec.Handle, 2, u)
		if err != nil || !ok {
			t.Fatalf("SwapRefresh(v2) = %v, %v", ok, err)
		}
		if string(got.Payload) != `{"role":"user"}` || got.Version != 3 {
			t.Fatalf("row after swap: payload %q version %d", got.Payload, got.Version)
		}
	})
	t.Run("no row", func(t *testing.T) {
		got, ok, err := s.SwapRefresh(ctx, randomHandle(), 1, u)
		if got != nil || ok || err != nil {
			t.Fatalf("SwapRefresh(unknown) = %v, %v, %v; want nil, false, nil", got, ok, err)
		}
	})
	t.Run("revoked row", func(t *testing.T) {
		r := record("alice", now())
		mustCreate(t, s, r)
		if ok, err := s.Revoke(ctx, r.Handle, now()); !ok || err != nil {
			t.Fatalf("Revoke = %v, %v", ok, err)
		}
		got, ok, err := s.SwapRefresh(ctx, r.Handle, 1, u)
		if err != nil || ok || got == nil || got.RevokedAt.IsZero() || got.Version != 1 {
			t.Fatalf("SwapRefresh(revoked) = %+v, %v, %v", got, ok, err)
		}
	})
}

func TestSwapRefreshConcurrent(t *testing.T) {
	// Many processes race the same version: exactly one wins each round.
	stores := sharedStores(t, 4)
	ctx := context.Background()
	rec := record("alice", now())
	mustCreate(t, stores[0], rec)
	const rounds, racers = 20, 8
	for round := range rounds {
		version := uint64(round + 1)
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				u := sessionissuer.RefreshUpdate{Refresh: []byte{byte(i)}, RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)}
				got, ok, err := stores[i%len(stores)].SwapRefresh(ctx, rec.Handle, version, u)
				if err != nil {
					t.Errorf("SwapRefresh: %v", err)
					return
				}
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
				if got == nil || got.Version != version+1 {
					t.Errorf("round %d: returned version %v, want %d", round, got, version+1)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d swaps won, want exactly 1", round, wins)
		}
	}
}

func TestSetPayload(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rec := record("alice", now())
	mustCreate(t, s, rec)
	ok, err := s.SetPayload(ctx, rec.Handle, []byte(`{"a":1}`))
	if !ok || err != nil {
		t.Fatalf("SetPayload = %v, %v", ok, err)
	}
	got, _ := s.Get(ctx, rec.Handle)
	if string(got.Payload) != `{"a":1}` || got.Version != 1 {
		t.Fatalf("after SetPayload: payload %q version %d (version must not move)", got.Payload, got.Version)
	}
	if ok, err := s.SetPayload(ctx, randomHandle(), []byte(`{}`)); ok || err != nil {
		t.Fatalf("SetPayload(unknown) = %v, %v", ok, err)
	}
	if _, err := s.Revoke(ctx, rec.Handle, now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SetPayload(ctx, rec.Handle, []byte(`{"b":2}`)); ok || err != nil {
		t.Fatalf("SetPayload(revoked) = %v, %v", ok, err)
	}
	if got, _ := s.Get(ctx, rec.Handle); string(got.Payload) != `{"a":1}` {
		t.Fatalf("revoked row's payload changed to %q", got.Payload)
	}
}

func TestRevoke(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	rec := record("alice", now())
	mustCreate(t, s, rec)
	at := now()
	if ok, err := s.Revoke(ctx, rec.Handle, at); !ok || err != nil {
		t.Fatalf("Revoke = %v, %v", ok, err)
	}
	if ok, err := s.Revoke(ctx, rec.Handle, at.Add(time.Second)); ok || err != nil {
		t.Fatalf("second Revoke = %v, %v; want false, nil", ok, err)
	}
	got, err := s.Get(ctx, rec.Handle)
	if err != nil || !got.RevokedAt.Equal(at) {
		t.Fatalf("Get after Revoke: %+v, %v (want RevokedAt %v)", got, err, at)
	}
	if ok, err := s.Revoke(ctx, randomHandle(), at); ok || err != nil {
		t.Fatalf("Revoke(unknown) = %v, %v", ok, err)
	}
	if _, err := s.Revoke(ctx, rec.Handle, time.Time{}); err == nil {
		t.Fatal("Revoke at the zero time succeeded")
	}
}

func TestRevokeSubject(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	base := now()
	var live []string
	for i := range 5 {
		r := record("alice", base.Add(time.Duration(i)*time.Second))
		mustCreate(t, s, r)
		live = append(live, r.Handle)
	}
	expired := record("alice", base.Add(-2*time.Hour))
	expired.ExpiresAt = base.Add(-time.Hour)
	mustCreate(t, s, expired)
	revoked := record("alice", base)
	mustCreate(t, s, revoked)
	if _, err := s.Revoke(ctx, revoked.Handle, base); err != nil {
		t.Fatal(err)
	}
	other := record("bob", base)
	mustCreate(t, s, other)

	keep := live[2]
	got, err := s.RevokeSubject(ctx, "alice", keep, base.Add(time.Minute))
	if err != nil {
		t.Fatalf("RevokeSubject: %v", err)
	}
	want := map[string]bool{}
	for _, h := range live {
		if h != keep {
			want[h] = true
		}
	}
	if len(got) != len(want) {
		t.Fatalf("RevokeSubject revoked %d rows, want %d: %v", len(got), len(want), got)
	}
	for _, h := range got {
		if !want[h] {
			t.Errorf("revoked %s, which it should not", h)
		}
		r, _ := s.Get(ctx, h)
		if !r.RevokedAt.Equal(base.Add(time.Minute)) {
			t.Errorf("%s: RevokedAt = %v", h, r.RevokedAt)
		}
	}
	for _, h := range []string{keep, other.Handle, expired.Handle} {
		if r, _ := s.Get(ctx, h); !r.RevokedAt.IsZero() {
			t.Errorf("%s was revoked", h)
		}
	}
	if r, _ := s.Get(ctx, revoked.Handle); !r.RevokedAt.Equal(base) {
		t.Errorf("already revoked row's RevokedAt moved to %v", r.RevokedAt)
	}
	list, err := s.List(ctx, "alice", base.Add(2*time.Minute))
	if err != nil || len(list) != 1 || list[0].Handle != keep {
		t.Fatalf("List after RevokeSubject = %v, %v; want only the kept row", list, err)
	}
	if got, err := s.RevokeSubject(ctx, "nobody", "", base); len(got) != 0 || err != nil {
		t.Fatalf("RevokeSubject(unknown subject) = %v, %v", got, err)
	}
}

func TestRevokeSubjectMany(t *testing.T) {
	// More rows than one script batch; every one revoked, all at one time.
	s := newStore(t)
	ctx := context.Background()
	base := now()
	const n = 600
	for i := range n {
		mustCreate(t, s, record("many", base.Add(time.Duration(i)*time.Microsecond)))
	}
	got, err := s.RevokeSubject(ctx, "many", "", base.Add(time.Second))
	if err != nil || len(got) != n {
		t.Fatalf("RevokeSubject = %d handles, %v; want %d", len(got), err, n)
	}
	// The feed holds n entries with one score; catch-up pages past them.
	seen := map[string]bool{}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = s.WatchRevocations(wctx, base, func(r sessionissuer.Revocation) {
		seen[r.Handle] = true
		if len(seen) == n {
			cancel()
		}
	})
	if len(seen) != n {
		t.Fatalf("feed delivered %d of %d revocations", len(seen), n)
	}
}

func TestList(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	base := now()
	var want []string
	for i := range 4 {
		r := record("alice", base.Add(time.Duration(i)*time.Minute))
		mustCreate(t, s, r)
		want = append([]string{r.Handle}, want...) // newest first
	}
	expiring := record("alice", base.Add(time.Hour))
	expiring.ExpiresAt = base.Add(2 * time.Hour)
	mustCreate(t, s, expiring)
	revoked := record("alice", base)
	mustCreate(t, s, revoked)
	if _, err := s.Revoke(ctx, revoked.Handle, base); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, record("bob", base))

	at := base.Add(2 * time.Hour) // expiring is expired exactly now: no leeway
	got, err := s.List(ctx, "alice", at)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var handles []string
	for _, r := range got {
		handles = append(handles, r.Handle)
	}
	if strings.Join(handles, ",") != strings.Join(want, ",") {
		t.Fatalf("List = %v, want %v", handles, want)
	}
	if got[0].UserAgent != "Mozilla/5.0 (test)" || got[0].Version != 1 {
		t.Fatalf("listed row lacks fields: %+v", got[0])
	}
	before, err := s.List(ctx, "alice", at.Add(-time.Microsecond))
	if err != nil || len(before) != 5 || before[0].Handle != expiring.Handle {
		t.Fatalf("List just before expiry = %d rows, %v", len(before), err)
	}
	if got, err := s.List(ctx, "nobody", at); len(got) != 0 || err != nil {
		t.Fatalf("List(unknown) = %v, %v", got, err)
	}
}

func TestLayoutAndTTL(t *testing.T) {
	prefix := randomPrefix()
	url := serverURL()
	requireServer(t, url)
	s, err := redisstore.New(context.Background(), url, redisstore.WithPrefix(prefix), redisstore.WithRetention(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(); cleanPrefix(t, url, prefix) })
	c := rawClient(t, url)
	ctx := context.Background()

	rec := record("alice", now())
	rec.ExpiresAt = now().Add(time.Hour)
	mustCreate(t, s, rec)
	rowKey := prefix + "v1:s:" + rec.Handle
	ttl := c.PTTL(ctx, rowKey).Val()
	if ttl < time.Hour+9*time.Minute || ttl > time.Hour+10*time.Minute {
		t.Fatalf("TTL after Create = %v, want ExpiresAt + retention (1h10m)", ttl)
	}
	if c.ZScore(ctx, prefix+"v1:u:alice", rec.Handle).Err() != nil {
		t.Fatal("row not in its subject index")
	}

	if _, _, err := s.SwapRefresh(ctx, rec.Handle, 1, sessionissuer.RefreshUpdate{RefreshedAt: now(), ExpiresAt: now().Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, rowKey).Val(); ttl < 2*time.Hour+9*time.Minute || ttl > 2*time.Hour+10*time.Minute {
		t.Fatalf("TTL after SwapRefresh = %v, want 2h10m", ttl)
	}
	if _, err := s.Revoke(ctx, rec.Handle, now()); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, rowKey).Val(); ttl < 9*time.Minute || ttl > 10*time.Minute {
		t.Fatalf("TTL after Revoke = %v, want the retention (10m)", ttl)
	}

	t.Run("Migrate", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); errs <- s.Migrate(ctx) }()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent Migrate: %v", err)
			}
		}
		if v := c.Get(ctx, prefix+"layout").Val(); v != "1" {
			t.Fatalf("layout key = %q, want 1", v)
		}
		c.Set(ctx, prefix+"layout", "2", 0)
		if err := s.Migrate(ctx); !errors.Is(err, redisstore.ErrLayout) {
			t.Fatalf("Migrate over layout 2 = %v, want ErrLayout", err)
		}
		if _, err := redisstore.New(ctx, url, redisstore.WithPrefix(prefix)); !errors.Is(err, redisstore.ErrLayout) {
			t.Fatalf("New over layout 2 = %v, want ErrLayout", err)
		}
	})
}

func TestDeleteExpired(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	c := rawClient(t, serverURL())
	var gone []string
	for range 5 {
		r := record("alice", now())
		mustCreate(t, s, r)
		gone = append(gone, r.Handle)
	}
	kept := record("alice", now())
	mustCreate(t, s, kept)
	// Find the prefix through the row key, and drop rows as Redis would at
	// their TTL.
	keys := c.Keys(ctx, "sgtest:*v1:s:"+kept.Handle).Val()
	if len(keys) != 1 {
		t.Fatalf("row key not found: %v", keys)
	}
	prefix := strings.TrimSuffix(keys[0], "v1:s:"+kept.Handle)
	for _, h := range gone {
		c.Del(ctx, prefix+"v1:s:"+h)
	}
	n, err := s.DeleteExpired(ctx, now(), 1000)
	if err != nil || n != 0 {
		t.Fatalf("DeleteExpired = %d, %v; want 0 (Redis expires rows itself)", n, err)
	}
	members := c.ZRange(ctx, prefix+"v1:u:alice", 0, -1).Val()
	if len(members) != 1 || members[0] != kept.Handle {
		t.Fatalf("subject index after DeleteExpired = %v, want only %s", members, kept.Handle)
	}
	if n, err := s.DeleteExpired(ctx, now(), 0); n != 0 || err != nil {
		t.Fatalf("DeleteExpired(limit 0) = %d, %v", n, err)
	}
}

func TestDeleteExpiredResumes(t *testing.T) {
	// Small limits walk a large index over several calls, resuming inside
	// it, and remove every dangling entry in the end.
	s := newStore(t)
	ctx := context.Background()
	c := rawClient(t, serverURL())
	var live []string
	var prefix string
	for i := range 40 {
		r := record("big", now().Add(time.Duration(i)*time.Millisecond))
		mustCreate(t, s, r)
		if prefix == "" {
			keys := c.Keys(ctx, "sgtest:*v1:s:"+r.Handle).Val()
			prefix = strings.TrimSuffix(keys[0], "v1:s:"+r.Handle)
		}
		if i%3 == 0 {
			live = append(live, r.Handle)
		} else {
			c.Del(ctx, prefix+"v1:s:"+r.Handle)
		}
	}
	// The walk goes over the whole shared database: allow it many calls.
	deadline := time.Now().Add(10 * time.Second)
	for calls := 1; ; calls++ {
		if _, err := s.DeleteExpired(ctx, now(), 7); err != nil {
			t.Fatal(err)
		}
		got := c.ZRange(ctx, prefix+"v1:u:big", 0, -1).Val()
		if strings.Join(got, ",") == strings.Join(live, ",") {
			t.Logf("index clean after %d calls", calls)
			return
		}
		if len(got) < len(live) {
			t.Fatalf("the walk removed live entries: %d left of %d", len(got), len(live))
		}
		if time.Now().After(deadline) {
			t.Fatalf("index after %d calls has %d entries, want the %d live ones", calls, len(got), len(live))
		}
	}
}

func TestKeys(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	blob, v, err := s.LoadKeys(ctx)
	if blob != nil || v != 0 || err != nil {
		t.Fatalf("LoadKeys on an empty store = %q, %d, %v", blob, v, err)
	}
	ring := []byte{0, 1, 2, 0xff, '"', '\n'}
	if ok, err := s.SwapKeys(ctx, 0, ring); !ok || err != nil {
		t.Fatalf("SwapKeys(0) = %v, %v", ok, err)
	}
	if ok, err := s.SwapKeys(ctx, 0, []byte("other")); ok || err != nil {
		t.Fatalf("second SwapKeys(0) = %v, %v; want false", ok, err)
	}
	blob, v, err = s.LoadKeys(ctx)
	if !bytes.Equal(blob, ring) || v != 1 || err != nil {
		t.Fatalf("LoadKeys = %q, %d, %v", blob, v, err)
	}
	if ok, err := s.SwapKeys(ctx, 1, []byte("ring-2")); !ok || err != nil {
		t.Fatalf("SwapKeys(1) = %v, %v", ok, err)
	}
	if ok, _ := s.SwapKeys(ctx, 3, []byte("ring-x")); ok {
		t.Fatal("SwapKeys(3) over version 2 succeeded")
	}
	blob, v, _ = s.LoadKeys(ctx)
	if string(blob) != "ring-2" || v != 2 {
		t.Fatalf("LoadKeys = %q, %d", blob, v)
	}
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	for name, opt := range map[string]redisstore.Option{
		"empty prefix":   redisstore.WithPrefix(""),
		"tiny retention": redisstore.WithRetention(time.Millisecond),
		"tiny health":    redisstore.WithFeedHealthCheck(time.Microsecond),
		"nil":            nil,
	} {
		if _, err := redisstore.New(ctx, "redis://127.0.0.1:1/0", opt); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	t.Run("URL errors hide the password", func(t *testing.T) {
		_, err := redisstore.New(ctx, "redis://user:hunter2@127.0.0.1:bad:port/0")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("New(bad URL) = %v", err)
		}
		_, err = redisstore.New(ctx, "redis://user:hunter2@127.0.0.1:1/0")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("New(unreachable) = %v", err)
		}
	})
	if _, err := redisstore.NewFromClient(nil); err == nil {
		t.Error("NewFromClient(nil) succeeded")
	}
}

func TestContextDone(t *testing.T) {
	s := newStore(t)
	rec := record("alice", now())
	mustCreate(t, s, rec)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		want error
	}{{"cancelled", cancelled, context.Canceled}, {"deadline passed", expired, context.DeadlineExceeded}} {
		t.Run(c.name, func(t *testing.T) {
			for op, err := range storeCalls(s, c.ctx, rec.Handle) {
				if !errors.Is(err, c.want) {
					t.Errorf("%s = %v, want an error wrapping %v", op, err, c.want)
				}
			}
		})
	}
	// Nothing was written under the done contexts.
	got, err := s.Get(context.Background(), rec.Handle)
	if err != nil || got.Version != 1 || !got.RevokedAt.IsZero() {
		t.Fatalf("row changed under a done context: %+v, %v", got, err)
	}
}

// storeOp is one Store method, called with fixed arguments.
type storeOp struct {
	name string
	call func(ctx context.Context) error
}

// storeOps returns a call of every Store method on handle's row.
func storeOps(s sessionissuer.Store, handle string) []storeOp {
	ignore := func(_ any, err error) error { return err }
	return []storeOp{
		{"Create", func(ctx context.Context) error { return s.Create(ctx, record("zed", now())) }},
		{"Get", func(ctx context.Context) error { return ignore(s.Get(ctx, handle)) }},
		{"SwapRefresh", func(ctx context.Context) error {
			_, _, err := s.SwapRefresh(ctx, handle, 1, sessionissuer.RefreshUpdate{RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)})
			return err
		}},
		{"SetPayload", func(ctx context.Context) error { return ignore(s.SetPayload(ctx, handle, []byte(`{}`))) }},
		{"Revoke", func(ctx context.Context) error { return ignore(s.Revoke(ctx, handle, now())) }},
		{"RevokeSubject", func(ctx context.Context) error { return ignore(s.RevokeSubject(ctx, "alice", "", now())) }},
		{"List", func(ctx context.Context) error { return ignore(s.List(ctx, "alice", now())) }},
		{"DeleteExpired", func(ctx context.Context) error { return ignore(s.DeleteExpired(ctx, now(), 10)) }},
		{"WatchRevocations", func(ctx context.Context) error {
			return s.WatchRevocations(ctx, now(), func(sessionissuer.Revocation) {})
		}},
		{"LoadKeys", func(ctx context.Context) error { _, _, err := s.LoadKeys(ctx); return err }},
		{"SwapKeys", func(ctx context.Context) error { return ignore(s.SwapKeys(ctx, 0, []byte("k"))) }},
	}
}

// storeCalls runs every Store method once under ctx and returns each error.
func storeCalls(s sessionissuer.Store, ctx context.Context, handle string) map[string]error {
	errs := map[string]error{}
	for _, op := range storeOps(s, handle) {
		errs[op.name] = op.call(ctx)
	}
	return errs
}

func TestNewFromClient(t *testing.T) {
	url := serverURL()
	requireServer(t, url)
	c := rawClient(t, url)
	prefix := randomPrefix()
	t.Cleanup(func() { cleanPrefix(t, url, prefix) })
	s, err := redisstore.NewFromClient(c, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rec := record("alice", now())
	mustCreate(t, s, rec)
	if _, err := s.Get(ctx, rec.Handle); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Close closed the caller's client: %v", err)
	}
}
