package storetest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// Clock is a settable clock for [sessionissuer.WithClock]. Its time starts
// at the wall clock (cut to milliseconds, the stores' precision) so that
// stores with native expiry see sensible times.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at the current wall time.
func NewClock() *Clock { return &Clock{t: wallNow()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Thefts records theft hook calls.
type Thefts struct {
	mu  sync.Mutex
	got []sessionissuer.Theft
}

// Hook is the function for [sessionissuer.WithTheftHook].
func (th *Thefts) Hook(_ context.Context, t sessionissuer.Theft) {
	th.mu.Lock()
	th.got = append(th.got, t)
	th.mu.Unlock()
}

// All returns the calls so far.
func (th *Thefts) All() []sessionissuer.Theft {
	th.mu.Lock()
	defer th.mu.Unlock()
	return append([]sessionissuer.Theft(nil), th.got...)
}

type env struct {
	t      *testing.T
	store  sessionissuer.Store
	clock  *Clock
	thefts *Thefts
	iss    *sessionissuer.Issuer
}

const grace = 60 * time.Second

func newEnv(t *testing.T, s sessionissuer.Store, opts ...sessionissuer.Option) *env {
	t.Helper()
	e := &env{t: t, store: s, clock: NewClock(), thefts: &Thefts{}}
	base := []sessionissuer.Option{
		sessionissuer.WithIssuer("https://storetest.example"),
		sessionissuer.WithClock(e.clock.Now),
		sessionissuer.WithTheftHook(e.thefts.Hook),
		sessionissuer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		sessionissuer.WithRefreshGrace(grace),
	}
	iss, err := sessionissuer.New(s, append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { iss.Close() })
	e.iss = iss
	return e
}

var device = sessionissuer.Device{UserAgent: "storetest/1.0", IP: "198.51.100.7", Label: "phone"}

func (e *env) create(payload map[string]any) *sessionissuer.Tokens {
	e.t.Helper()
	tok, err := e.iss.Create(ctxT(e.t), randomID(e.t, "user-"), payload, device)
	if err != nil {
		e.t.Fatalf("Create: %v", err)
	}
	return tok
}

func (e *env) refresh(rt string) *sessionissuer.Tokens {
	e.t.Helper()
	tok, err := e.iss.Refresh(ctxT(e.t), rt)
	if err != nil {
		e.t.Fatalf("Refresh: %v", err)
	}
	if tok.RefreshToken == "" || tok.RefreshToken == rt || tok.AccessToken == "" {
		e.t.Fatalf("Refresh did not rotate: %+v", tok)
	}
	return tok
}

// refuse expects Refresh to fail with want and, for UNAUTHORISED, no theft.
func (e *env) refuse(rt string, want error) {
	e.t.Helper()
	n := len(e.thefts.All())
	tok, err := e.iss.Refresh(ctxT(e.t), rt)
	if !errors.Is(err, want) || tok != nil {
		e.t.Fatalf("Refresh = %v, %v; want %v", tok, err, want)
	}
	if strings.Contains(err.Error(), rt) && rt != "" {
		e.t.Fatalf("error text holds the token: %q", err)
	}
	if want != sessionissuer.ErrTokenTheft && len(e.thefts.All()) != n {
		e.t.Fatalf("the theft hook ran for %v", want)
	}
}

// claims decodes an access token's payload without verifying it.
func claims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("access token has %d segments", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// RunIssuer runs the issuer-level part of the suite: the refresh state
// machine of docs/lifecycle.md §3 (each row), its concurrency, revocation,
// listing, payload updates and expiry, over the store.
func RunIssuer(t *testing.T, newStore func(t *testing.T) sessionissuer.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s sessionissuer.Store)
	}{
		{"Row1Chain", testRow1Chain},
		{"Row1LostAnswer", testRow1LostAnswer},
		{"Row2Tabs", testRow2Tabs},
		{"Row3Replay", testRow3Replay},
		{"Row3ForgottenToken", testRow3Forgotten},
		{"Row3DeadlineBoundary", testRow3Boundary},
		{"Row4Dropped", testRow4Dropped},
		{"Row5NotIssued", testRow5NotIssued},
		{"Row5RevokedOrExpired", testRow5RevokedExpired},
		{"Storm", testStorm},
		{"StormTwoIssuers", testStormTwoIssuers},
		{"PromotionRace", testPromotionRace},
		{"SlidingAndAbsoluteExpiry", testExpiry},
		{"RevokeListUpdate", testRevokeListUpdate},
		{"RevocationFeed", testRevocationFeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// Row 1 in normal use: each refresh presents the last answer, which is a
// child of the current token, however much time passes between them.
func testRow1Chain(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	tok := e.create(map[string]any{"role": "admin"})
	sid := tok.Handle
	for range 10 {
		e.clock.Advance(10 * time.Minute)
		next := e.refresh(tok.RefreshToken)
		c := claims(t, next.AccessToken)
		if next.Handle != sid || c["sid"] != sid || c["sub"] != tok.Subject || c["role"] != "admin" {
			t.Fatalf("refresh changed the session: %+v %v", next, c)
		}
		if want := e.clock.Now().Add(sessionissuer.DefaultSessionTTL); !sameTime(next.SessionExpiresAt, want) {
			t.Fatalf("SessionExpiresAt = %v, want %v (sliding)", next.SessionExpiresAt, want)
		}
		tok = next
	}
	if th := e.thefts.All(); len(th) != 0 {
		t.Fatalf("theft reported in normal use: %v", th)
	}
}

// Row 1 then a lost answer: the promoted token can be retried within grace
// (row 2), the retry's answer is promoted in turn, and the first answer
// (now a sibling) stays honoured within grace, then is theft.
func testRow1LostAnswer(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	c1 := e.refresh(t0.RefreshToken) // row 2: child of T0
	e.clock.Advance(5 * time.Minute)
	d1 := e.refresh(c1.RefreshToken) // row 1: C1 promoted
	e.clock.Advance(10 * time.Second)
	d2 := e.refresh(c1.RefreshToken) // answer lost: C1 retried, row 2
	e.clock.Advance(10 * time.Second)
	e.refresh(d2.RefreshToken) // row 1: D2 promoted
	e.refresh(d1.RefreshToken) // D1, sibling of D2, within grace: row 2
	e.clock.Advance(grace + time.Second)
	e.refuse(d1.RefreshToken, sessionissuer.ErrTokenTheft)
	if th := e.thefts.All(); len(th) != 1 || th[0].Handle != t0.Handle {
		t.Fatalf("thefts = %v", th)
	}
}

// Row 2: several tabs refresh with the same token within grace.
func testRow2Tabs(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	a := e.refresh(t0.RefreshToken)
	e.clock.Advance(grace / 2)
	b := e.refresh(t0.RefreshToken)
	if a.RefreshToken == b.RefreshToken {
		t.Fatal("two refreshes answered the same token")
	}
	e.refresh(a.RefreshToken)
	e.refresh(b.RefreshToken) // sibling of the promoted a, within grace
}

// Row 3: a token presented after its deadline revokes the session, runs the
// hook once, and leaves no other token of the session usable.
func testRow3Replay(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	c1 := e.refresh(t0.RefreshToken)
	e.clock.Advance(grace + time.Second)
	e.refuse(t0.RefreshToken, sessionissuer.ErrTokenTheft)
	th := e.thefts.All()
	if len(th) != 1 || th[0].Handle != t0.Handle || th[0].Subject != t0.Subject || th[0].Device != device {
		t.Fatalf("theft hook got %+v, want one call with the session's handle, subject and device", th)
	}
	e.refuse(c1.RefreshToken, sessionissuer.ErrInvalidRefreshToken)
	e.refuse(t0.RefreshToken, sessionissuer.ErrInvalidRefreshToken) // revoked now: row 5
	if len(e.thefts.All()) != 1 {
		t.Fatal("the theft hook ran twice")
	}
	if !e.iss.Revocations().Revoked(t0.Handle) {
		t.Error("a session revoked for theft is not in the revocation set")
	}
	if l, err := e.iss.List(ctxT(t), t0.Subject, ""); err != nil || len(l) != 0 {
		t.Errorf("List after theft = %v, %v; want none", l, err)
	}
}

// Row 3 for a token the state no longer tracks: recognised by its tag.
func testRow3Forgotten(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	tok := t0
	for range 5 {
		e.clock.Advance(2 * grace)
		tok = e.refresh(tok.RefreshToken)
	}
	e.refuse(t0.RefreshToken, sessionissuer.ErrTokenTheft)
}

// The deadline is now+grace: honoured strictly before it, theft at it.
func testRow3Boundary(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	e.refresh(t0.RefreshToken) // sets T0's deadline
	e.clock.Advance(grace - time.Millisecond)
	e.refresh(t0.RefreshToken)
	e.clock.Advance(time.Millisecond)
	e.refuse(t0.RefreshToken, sessionissuer.ErrTokenTheft)
}

// Row 4: beyond 16 outstanding children the oldest is dropped: refused,
// the session unharmed, even after promotions and the grace period.
func testRow4Dropped(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	var kids []*sessionissuer.Tokens
	for range sessionissuer.MaxOutstandingChildren + 2 {
		kids = append(kids, e.refresh(t0.RefreshToken))
	}
	e.refuse(kids[0].RefreshToken, sessionissuer.ErrInvalidRefreshToken)
	e.refuse(kids[1].RefreshToken, sessionissuer.ErrInvalidRefreshToken)
	next := e.refresh(kids[2].RefreshToken) // the oldest kept: promoted
	e.clock.Advance(2 * grace)
	e.refuse(kids[0].RefreshToken, sessionissuer.ErrInvalidRefreshToken)
	e.refresh(next.RefreshToken)
	if len(e.thefts.All()) != 0 {
		t.Fatal("a dropped token was taken for theft")
	}
}

func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// Row 5: strings the issuer did not issue are refused and harm nothing.
func testRow5NotIssued(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	other := e.create(nil)
	rt := t0.RefreshToken
	dot := strings.IndexByte(rt, '.')
	bad := []string{
		"", "x", ".", rt + "A", rt[:len(rt)-1], strings.Replace(rt, ".", "..", 1),
		strings.ToUpper(rt), strings.Repeat("a", 600), t0.AccessToken,
		flip(rt, dot+12),                    // made-up secret under the real handle
		flip(rt, len(rt)-3),                 // altered tag
		flip(rt, dot+3),                     // altered counter
		other.RefreshToken[:dot] + rt[dot:], // another session's handle
		randomID(t, "")[:dot] + rt[dot:],    // unknown handle
		rt[:dot] + other.RefreshToken[dot:], // another session's body
		strings.Replace(rt, ".", "%2E", 1), rt + "\x00", " " + rt,
	}
	for _, b := range bad {
		e.refuse(b, sessionissuer.ErrInvalidRefreshToken)
	}
	e.clock.Advance(2 * grace)
	for _, b := range bad {
		e.refuse(b, sessionissuer.ErrInvalidRefreshToken)
	}
	e.refresh(rt) // unharmed
	e.refresh(other.RefreshToken)
}

func testRow5RevokedExpired(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s, sessionissuer.WithSessionTTL(time.Hour), sessionissuer.WithAccessTTL(time.Minute))
	a, b := e.create(nil), e.create(nil)
	if err := e.iss.Revoke(ctxT(t), a.Handle); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	e.refuse(a.RefreshToken, sessionissuer.ErrInvalidRefreshToken)
	e.clock.Advance(time.Hour - time.Millisecond)
	b2 := e.refresh(b.RefreshToken) // just before expiry; slides it
	e.clock.Advance(time.Hour)      // exactly at the new expiry: no leeway
	e.refuse(b2.RefreshToken, sessionissuer.ErrInvalidRefreshToken)
	if len(e.thefts.All()) != 0 {
		t.Fatal("theft reported for a revoked or expired session")
	}
}

// 64 simultaneous refreshes with one token all succeed, as one lineage,
// and none of the answers is later taken for theft.
func testStorm(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	const n = 64
	answers := make([]*sessionissuer.Tokens, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[k], errs[k] = e.iss.Refresh(ctxT(t), t0.RefreshToken)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for k := range n {
		if errs[k] != nil {
			t.Fatalf("refresh %d of the storm: %v", k, errs[k])
		}
		if answers[k].Handle != t0.Handle || seen[answers[k].RefreshToken] {
			t.Fatalf("storm answer %d: another session or a repeated token", k)
		}
		seen[answers[k].RefreshToken] = true
	}
	ok := 0
	for k := range n {
		_, err := e.iss.Refresh(ctxT(t), answers[k].RefreshToken)
		switch {
		case err == nil:
			ok++
		case errors.Is(err, sessionissuer.ErrInvalidRefreshToken): // dropped (row 4)
		default:
			t.Fatalf("storm answer %d presented later: %v", k, err)
		}
	}
	if ok < sessionissuer.MaxOutstandingChildren {
		t.Errorf("%d storm answers honoured afterwards, want at least %d", ok, sessionissuer.MaxOutstandingChildren)
	}
	if len(e.thefts.All()) != 0 {
		t.Fatal("theft in a storm")
	}
}

// Two children presented at once: both succeed, one is promoted, and
// neither answer is lost (presenting both later is no theft).
func testPromotionRace(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	t0 := e.create(nil)
	for range 5 {
		c1, c2 := e.refresh(t0.RefreshToken), e.refresh(t0.RefreshToken)
		var a1, a2 *sessionissuer.Tokens
		var err1, err2 error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); a1, err1 = e.iss.Refresh(ctxT(t), c1.RefreshToken) }()
		go func() { defer wg.Done(); a2, err2 = e.iss.Refresh(ctxT(t), c2.RefreshToken) }()
		wg.Wait()
		if err1 != nil || err2 != nil {
			t.Fatalf("promotion race: %v, %v", err1, err2)
		}
		e.refresh(a1.RefreshToken)
		e.refresh(a2.RefreshToken)
		t0 = a2
	}
	if len(e.thefts.All()) != 0 {
		t.Fatal("theft in a promotion race")
	}
}

func testExpiry(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s, sessionissuer.WithAccessTTL(time.Minute), sessionissuer.WithSessionTTL(time.Hour),
		sessionissuer.WithAbsoluteTTL(150*time.Minute))
	start := e.clock.Now()
	tok := e.create(map[string]any{"n": 1})
	if !sameTime(tok.SessionExpiresAt, start.Add(time.Hour)) {
		t.Fatalf("SessionExpiresAt = %v, want created + 1h", tok.SessionExpiresAt)
	}
	c := claims(t, tok.AccessToken)
	if iat, exp := c["iat"].(float64), c["exp"].(float64); exp-iat != 60 || int64(iat) != start.Unix() {
		t.Fatalf("iat %v exp %v, want exp = iat + 60 and iat = now", iat, exp)
	}
	if !tok.AccessExpiresAt.Equal(time.Unix(int64(c["exp"].(float64)), 0)) {
		t.Errorf("AccessExpiresAt %v does not match exp", tok.AccessExpiresAt)
	}
	for _, at := range []time.Duration{50 * time.Minute, 100 * time.Minute} {
		e.clock.Advance(at - e.clock.Now().Sub(start))
		tok = e.refresh(tok.RefreshToken)
		want := e.clock.Now().Add(time.Hour)
		if cap := start.Add(150 * time.Minute); want.After(cap) {
			want = cap
		}
		if !sameTime(tok.SessionExpiresAt, want) {
			t.Fatalf("at +%v: SessionExpiresAt = %v, want %v", at, tok.SessionExpiresAt, want)
		}
	}
	e.clock.Advance(150*time.Minute - e.clock.Now().Sub(start)) // the absolute cap
	e.refuse(tok.RefreshToken, sessionissuer.ErrInvalidRefreshToken)
}

func testRevokeListUpdate(t *testing.T, s sessionissuer.Store) {
	e := newEnv(t, s)
	sub := randomID(t, "user-")
	var toks []*sessionissuer.Tokens
	for k := range 4 {
		tok, err := e.iss.Create(ctxT(t), sub, map[string]any{"k": k}, device)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
		e.clock.Advance(time.Second)
	}
	list, err := e.iss.List(ctxT(t), sub, toks[1].Handle)
	if err != nil || len(list) != 4 {
		t.Fatalf("List = %v, %v", list, err)
	}
	for k, si := range list {
		if si.Handle != toks[3-k].Handle || si.Current != (si.Handle == toks[1].Handle) || si.UserAgent != device.UserAgent || si.IP != device.IP || si.Label != device.Label {
			t.Errorf("List[%d] = %+v", k, si)
		}
	}
	// UpdatePayload: new access token, later refreshes carry it, other sessions untouched.
	up, err := e.iss.UpdatePayload(ctxT(t), toks[0].Handle, map[string]any{"role": "editor"})
	if err != nil || up.RefreshToken != "" || up.Handle != toks[0].Handle {
		t.Fatalf("UpdatePayload = %+v, %v", up, err)
	}
	if c := claims(t, up.AccessToken); c["role"] != "editor" || c["k"] != nil || c["sid"] != toks[0].Handle {
		t.Errorf("updated access token claims %v", c)
	}
	if c := claims(t, e.refresh(toks[0].RefreshToken).AccessToken); c["role"] != "editor" {
		t.Errorf("refresh after UpdatePayload carries %v", c)
	}
	if c := claims(t, e.refresh(toks[1].RefreshToken).AccessToken); c["role"] != nil || c["k"] != float64(1) {
		t.Errorf("another session's payload changed: %v", c)
	}
	if _, err := e.iss.UpdatePayload(ctxT(t), randomID(t, ""), nil); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Errorf("UpdatePayload(unknown) = %v, want ErrNotFound", err)
	}
	// Revoke one, then the others but one, then all.
	if err := e.iss.Revoke(ctxT(t), toks[3].Handle); err != nil {
		t.Fatal(err)
	}
	if err := e.iss.Revoke(ctxT(t), toks[3].Handle); err != nil {
		t.Errorf("second Revoke = %v, want nil", err)
	}
	if err := e.iss.Revoke(ctxT(t), randomID(t, "")); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Errorf("Revoke(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := e.iss.UpdatePayload(ctxT(t), toks[3].Handle, nil); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Errorf("UpdatePayload(revoked) = %v, want ErrNotFound", err)
	}
	if err := e.iss.RevokeOthers(ctxT(t), sub, randomID(t, "")); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Errorf("RevokeOthers(foreign keep) = %v, want ErrNotFound", err)
	}
	if err := e.iss.RevokeOthers(ctxT(t), sub, toks[2].Handle); err != nil {
		t.Fatal(err)
	}
	list, _ = e.iss.List(ctxT(t), sub, "")
	if len(list) != 1 || list[0].Handle != toks[2].Handle || list[0].Current {
		t.Fatalf("after RevokeOthers: %+v", list)
	}
	for _, k := range []int{0, 1, 3} {
		if !e.iss.Revocations().Revoked(toks[k].Handle) {
			t.Errorf("session %d revoked but not in the revocation set", k)
		}
	}
	if e.iss.Revocations().Revoked(toks[2].Handle) {
		t.Error("the kept session is in the revocation set")
	}
	if err := e.iss.RevokeAll(ctxT(t), sub); err != nil {
		t.Fatal(err)
	}
	if list, _ = e.iss.List(ctxT(t), sub, ""); len(list) != 0 {
		t.Fatalf("after RevokeAll: %+v", list)
	}
	e.refuse(toks[2].RefreshToken, sessionissuer.ErrInvalidRefreshToken)
}

// A revocation through one issuer reaches another sharing the store within
// 2 s (docs/lifecycle.md §4).
func testRevocationFeed(t *testing.T, s sessionissuer.Store) {
	a, b := newEnv(t, s), newEnv(t, s)
	tok := a.create(nil)
	if b.iss.Revocations().Revoked(tok.Handle) {
		t.Fatal("revoked before Revoke")
	}
	if err := a.iss.Revoke(ctxT(t), tok.Handle); err != nil {
		t.Fatal(err)
	}
	if !a.iss.Revocations().Revoked(tok.Handle) {
		t.Fatal("not revoked at once in the revoking issuer")
	}
	deadline := time.Now().Add(2 * time.Second)
	for !b.iss.Revocations().Revoked(tok.Handle) {
		if time.Now().After(deadline) {
			t.Fatal("revocation not delivered to another issuer within 2 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two issuers (two processes) sharing the store refresh one lineage at
// once: each one's cached row goes stale under the other's swaps; all
// succeed and nothing is taken for theft.
func testStormTwoIssuers(t *testing.T, s sessionissuer.Store) {
	a := newEnv(t, s)
	b := newEnv(t, s)
	tok := a.create(nil)
	for round := range 4 {
		const n = 16
		answers := make([]*sessionissuer.Tokens, 2*n)
		errs := make([]error, 2*n)
		var wg sync.WaitGroup
		for k := range 2 * n {
			iss := a.iss
			if k%2 == 1 {
				iss = b.iss
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[k], errs[k] = iss.Refresh(ctxT(t), tok.RefreshToken)
			}()
		}
		wg.Wait()
		for k, err := range errs {
			if err != nil {
				t.Fatalf("round %d, refresh %d: %v", round, k, err)
			}
		}
		// Present every answer, alternating issuers: the first honoured one
		// is promoted (row 1) on one issuer while the other's cache still
		// holds an older row; the dropped ones (row 4) are refused; none is
		// theft.
		var next *sessionissuer.Tokens
		for k, ans := range answers {
			iss := a.iss
			if (k+round)%2 == 1 {
				iss = b.iss
			}
			got, err := iss.Refresh(ctxT(t), ans.RefreshToken)
			switch {
			case err == nil:
				next = got // the newest child: never the one dropped
			case !errors.Is(err, sessionissuer.ErrInvalidRefreshToken):
				t.Fatalf("round %d, answer %d presented later: %v", round, k, err)
			}
		}
		if next == nil {
			t.Fatalf("round %d: no answer honoured afterwards", round)
		}
		tok = next
	}
	if len(a.thefts.All())+len(b.thefts.All()) != 0 {
		t.Fatal("theft reported between two issuers")
	}
}
