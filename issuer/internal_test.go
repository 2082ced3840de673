package sessionissuer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newTestIssuer(t *testing.T, s Store, opts ...Option) (*Issuer, *testClock) {
	t.Helper()
	c := &testClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	base := []Option{WithIssuer("https://t.example"), WithClock(c.Now), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	i, err := New(s, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { i.Close() })
	return i, c
}

func TestRefreshStateRoundTrip(t *testing.T) {
	st := &refreshState{next: 40, cur: tokenEntry{ctr: 7, deadline: 123}}
	st.seed[3] = 9
	st.cur.hash[0] = 1
	st.children = []tokenEntry{{ctr: 38}, {ctr: 39}}
	st.old = []tokenEntry{{ctr: 5, deadline: 99}}
	st.dropped = []span{{10, 12}, {20, 30}}
	b := st.encode()
	got, err := decodeRefreshState(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.seed != st.seed || got.next != 40 || got.cur != st.cur || len(got.children) != 2 || got.children[1].ctr != 39 ||
		len(got.old) != 1 || got.old[0] != st.old[0] || len(got.dropped) != 2 || got.dropped[1] != st.dropped[1] {
		t.Fatalf("round trip: %+v", got)
	}
	for n := range len(b) {
		if _, err := decodeRefreshState(b[:n]); err == nil {
			t.Fatalf("truncated state (%d of %d bytes) decoded", n, len(b))
		}
	}
	if _, err := decodeRefreshState(append(b, 0)); err == nil {
		t.Fatal("state with trailing bytes decoded")
	}
	bad := append([]byte{2}, b[1:]...)
	if _, err := decodeRefreshState(bad); err == nil {
		t.Fatal("state of an unknown version decoded")
	}
}

// A row whose state cannot be read honours no token and accuses nobody.
func TestUnreadableStateIsRow5(t *testing.T) {
	s := NewMemoryStore()
	i, _ := newTestIssuer(t, s)
	tok, err := i.Create(context.Background(), "u", nil, Device{})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.rows[tok.Handle].Refresh = []byte{1, 2, 3}
	s.mu.Unlock()
	i.cache.drop(tok.Handle)
	if _, err := i.Refresh(context.Background(), tok.RefreshToken); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("Refresh over a corrupt state = %v", err)
	}
}

// The dropped spans stay bounded, merging the oldest (never into theft).
func TestDroppedSpansBounded(t *testing.T) {
	s := NewMemoryStore()
	i, clock := newTestIssuer(t, s)
	ctx := context.Background()
	tok, _ := i.Create(ctx, "u", nil, Device{})
	var first string
	for round := range maxDropped + 4 {
		var kids []*Tokens
		for range MaxOutstandingChildren + 1 {
			k, err := i.Refresh(ctx, tok.RefreshToken)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			kids = append(kids, k)
		}
		if round == 0 {
			first = kids[0].RefreshToken
		}
		clock.Advance(2 * DefaultRefreshGrace)
		next, err := i.Refresh(ctx, kids[len(kids)-1].RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		tok = next
	}
	rec, _ := s.Get(ctx, tok.Handle)
	st, err := decodeRefreshState(rec.Refresh)
	if err != nil || len(st.dropped) > maxDropped {
		t.Fatalf("dropped spans: %v, %v", st, err)
	}
	if _, err := i.Refresh(ctx, first); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("the first dropped token after merging = %v, want UNAUTHORISED", err)
	}
}

func TestSweep(t *testing.T) {
	s := NewMemoryStore()
	i, clock := newTestIssuer(t, s, WithAccessTTL(time.Minute), WithSessionTTL(time.Hour))
	ctx := context.Background()
	var live, revoked *Tokens
	for k := range SweepBatch + 10 {
		tok, err := i.Create(ctx, "u", nil, Device{})
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			revoked = tok
		}
	}
	if err := i.Revoke(ctx, revoked.Handle); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	if n := i.sweep(ctx); n != 1 {
		t.Fatalf("sweep removed %d rows, want the one revoked over an access lifetime ago", n)
	}
	if !i.revs.Revoked(revoked.Handle) {
		t.Fatal("revocation forgotten within access lifetime + leeway")
	}
	clock.Advance(25 * time.Minute)
	live, _ = i.Create(ctx, "u", nil, Device{})
	if n := i.sweep(ctx); n != 0 {
		t.Fatalf("sweep removed %d rows too early", n)
	}
	if i.revs.Revoked(revoked.Handle) {
		t.Fatal("revocation kept past access lifetime + leeway")
	}
	// At expiry + one access lifetime the rest is due, in batches.
	clock.Advance(31 * time.Minute)
	if n := i.sweep(ctx); n != SweepBatch+9 {
		t.Fatalf("sweep removed %d rows, want %d (in batches)", n, SweepBatch+9)
	}
	if _, err := s.Get(ctx, live.Handle); err != nil {
		t.Fatalf("a live row was swept: %v", err)
	}
}

func TestRevokedIsZeroAlloc(t *testing.T) {
	rs := newRevocationSet(time.Minute)
	now := time.Now()
	rs.add("a", now, now)
	sid := strings.Repeat("b", 22)
	if n := testing.AllocsPerRun(1000, func() { rs.Revoked(sid); rs.Revoked("a") }); n != 0 {
		t.Fatalf("Revoked allocates %v times", n)
	}
	// A revocation older than the window is not kept.
	rs.add("old", now.Add(-time.Hour), now)
	if rs.Revoked("old") {
		t.Fatal("an old revocation was added")
	}
}

// flakyStore's feed fails a few times before it works.
type flakyStore struct {
	*MemoryStore
	fails  atomic.Int32
	sinces chan time.Time
}

func (f *flakyStore) WatchRevocations(ctx context.Context, since time.Time, fn func(Revocation)) error {
	select {
	case f.sinces <- since:
	default:
	}
	if f.fails.Add(-1) >= 0 {
		return errors.New("connection reset")
	}
	return f.MemoryStore.WatchRevocations(ctx, since, fn)
}

func TestFeedResubscribes(t *testing.T) {
	ms := NewMemoryStore()
	fs := &flakyStore{MemoryStore: ms, sinces: make(chan time.Time, 16)}
	fs.fails.Store(3)
	i, _ := newTestIssuer(t, fs)
	other, _ := newTestIssuer(t, ms)
	tok, _ := other.Create(context.Background(), "u", nil, Device{})
	if err := other.Revoke(context.Background(), tok.Handle); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !i.revs.Revoked(tok.Handle) {
		if time.Now().After(deadline) {
			t.Fatal("the feed did not recover")
		}
		time.Sleep(10 * time.Millisecond)
	}
	first := <-fs.sinces
	if d := i.now().Sub(first); d < i.cfg.accessTTL {
		t.Fatalf("first subscription since %v before now, want at least the access lifetime", d)
	}
}

func TestCloseStopsBackground(t *testing.T) {
	ms := NewMemoryStore()
	i, _ := newTestIssuer(t, ms)
	time.Sleep(10 * time.Millisecond)
	i.Close()
	ms.mu.Lock()
	n := len(ms.watchers)
	ms.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d revocation watchers left after Close", n)
	}
}

// A copy of the database yields no usable token: with the seed from the row
// one can compute valid tags (without a master key), but the secret's hash
// still has to match; with a master key not even the tag can be made.
func TestDatabaseCopyYieldsNoToken(t *testing.T) {
	for _, master := range [][]byte{nil, make([]byte, 32)} {
		s := NewMemoryStore()
		var opts []Option
		if master != nil {
			master[0] = 7
			opts = append(opts, WithMasterKey(master))
		}
		i, _ := newTestIssuer(t, s, opts...)
		ctx := context.Background()
		tok, _ := i.Create(ctx, "u", nil, Device{})
		rec, _ := s.Get(ctx, tok.Handle)
		st, err := decodeRefreshState(rec.Refresh)
		if err != nil {
			t.Fatal(err)
		}
		for _, ctr := range []uint64{0, 1} { // the current token, and the next one
			forged := refreshToken{handle: tok.Handle, counter: ctr}
			forged.secret[0] = 1
			forged.tag = macTag(nil, &st.seed, tok.Handle, ctr, &forged.secret) // all a copy knows
			if got, err := i.Refresh(ctx, forged.String()); !errors.Is(err, ErrInvalidRefreshToken) || got != nil {
				t.Fatalf("master %v: forged token %d = %v, %v; want UNAUTHORISED", master != nil, ctr, got, err)
			}
		}
		if _, err := i.Refresh(ctx, tok.RefreshToken); err != nil {
			t.Fatalf("the real token after forgeries: %v", err)
		}
	}
}

// roundTrips counts store calls.
type roundTrips struct {
	*MemoryStore
	n atomic.Int32
}

func (r *roundTrips) Get(ctx context.Context, h string) (*Record, error) {
	r.n.Add(1)
	return r.MemoryStore.Get(ctx, h)
}

func (r *roundTrips) SwapRefresh(ctx context.Context, h string, v uint64, u RefreshUpdate) (*Record, bool, error) {
	r.n.Add(1)
	return r.MemoryStore.SwapRefresh(ctx, h, v, u)
}

// The common refresh is one store round trip (the cached row's version);
// a stale cache costs one more, and a refusal is judged on a fresh row.
func TestRefreshRoundTrips(t *testing.T) {
	rt := &roundTrips{MemoryStore: NewMemoryStore()}
	i, clock := newTestIssuer(t, rt)
	other, _ := newTestIssuer(t, rt.MemoryStore) // another process: its refreshes make i's cache stale
	ctx := context.Background()
	tok, _ := i.Create(ctx, "u", nil, Device{})
	for range 3 {
		rt.n.Store(0)
		next, err := i.Refresh(ctx, tok.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if n := rt.n.Load(); n != 1 {
			t.Fatalf("a refresh took %d round trips, want 1", n)
		}
		tok = next
		clock.Advance(time.Minute)
	}
	tok, err := other.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	rt.n.Store(0)
	if _, err := i.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("refresh over a stale cache: %v", err)
	}
	if n := rt.n.Load(); n != 2 {
		t.Fatalf("a refresh over a stale cache took %d round trips, want 2 (failed swap returns the row)", n)
	}
	rt.n.Store(0)
	if _, err := i.Refresh(ctx, tok.RefreshToken[:30]+"AAAA"+tok.RefreshToken[34:]); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatal(err)
	}
	if n := rt.n.Load(); n != 0 {
		t.Fatalf("a token with a wrong tag took %d round trips, want 0 (the cached seed decides)", n)
	}
	// Any other refusal is judged on a fresh row.
	first, err := i.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	for range MaxOutstandingChildren {
		if _, err := i.Refresh(ctx, tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
	}
	rt.n.Store(0)
	if _, err := i.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrInvalidRefreshToken) {
		t.Fatalf("dropped child = %v", err)
	}
	if n := rt.n.Load(); n != 1 {
		t.Fatalf("a refusal took %d round trips, want 1 (a fresh Get)", n)
	}
}

// The store never sees a refresh token or its secret (docs/lifecycle.md §1).
func TestStoreHoldsNoToken(t *testing.T) {
	s := NewMemoryStore()
	i, _ := newTestIssuer(t, s)
	ctx := context.Background()
	tok, _ := i.Create(ctx, "u", map[string]any{"a": 1}, Device{})
	toks := []string{tok.RefreshToken}
	for range 3 {
		next, err := i.Refresh(ctx, toks[len(toks)-1])
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, next.RefreshToken)
	}
	rec, _ := s.Get(ctx, tok.Handle)
	for _, rtok := range toks {
		p, ok := parseRefreshToken(rtok)
		if !ok {
			t.Fatal("unparsable token")
		}
		for _, field := range [][]byte{rec.Refresh, rec.Payload, []byte(rec.UserAgent + rec.IP + rec.Label)} {
			if bytes.Contains(field, p.secret[:]) || bytes.Contains(field, []byte(rtok[handleChars+1:])) || bytes.Contains(field, p.tag[:]) {
				t.Fatal("the store holds a refresh token's secret or tag")
			}
		}
	}
}

func TestDropSpans(t *testing.T) {
	st := &refreshState{}
	for _, c := range []uint64{5, 7, 6, 1, 9, 8, 6} {
		st.drop(c)
	}
	want := []span{{1, 2}, {5, 10}}
	if !slices.Equal(st.dropped, want) {
		t.Fatalf("spans = %v, want %v", st.dropped, want)
	}
	for c := uint64(100); c < 100+2*maxDropped; c += 2 {
		st.drop(c)
	}
	if len(st.dropped) != maxDropped || st.dropped[0].lo != 1 {
		t.Fatalf("bounded spans = %v", st.dropped)
	}
	for k := 1; k < len(st.dropped); k++ {
		if st.dropped[k-1].hi >= st.dropped[k].lo {
			t.Fatalf("spans overlap or touch: %v", st.dropped)
		}
	}
}

// Promoting many times within one grace period forgets the earliest
// deadlines early; those tokens are then refused, never taken for theft.
func TestOldTokensForgottenEarlyAreNotTheft(t *testing.T) {
	s := NewMemoryStore()
	var thefts atomic.Int32
	i, clock := newTestIssuer(t, s, WithTheftHook(func(context.Context, Theft) { thefts.Add(1) }))
	ctx := context.Background()
	tok, _ := i.Create(ctx, "u", nil, Device{})
	var early []string
	for round := range 6 {
		var kids []*Tokens
		for range MaxOutstandingChildren {
			k, err := i.Refresh(ctx, tok.RefreshToken)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			kids = append(kids, k)
		}
		if round == 0 {
			for _, k := range kids[1:] {
				early = append(early, k.RefreshToken)
			}
		}
		next, err := i.Refresh(ctx, kids[0].RefreshToken) // promote one; its siblings get deadlines
		if err != nil {
			t.Fatal(err)
		}
		tok = next
		clock.Advance(time.Second)
	}
	rec, _ := s.Get(ctx, tok.Handle)
	st, _ := decodeRefreshState(rec.Refresh)
	if len(st.old) > maxOld {
		t.Fatalf("%d tokens with a running deadline kept, cap %d", len(st.old), maxOld)
	}
	for _, e := range early {
		if _, err := i.Refresh(ctx, e); err != nil && !errors.Is(err, ErrInvalidRefreshToken) {
			t.Fatalf("a sibling within its grace = %v; want success or UNAUTHORISED", err)
		}
	}
	if thefts.Load() != 0 {
		t.Fatal("a token forgotten within its grace was taken for theft")
	}
	if _, err := i.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("the session was harmed: %v", err)
	}
}
