package sessionissuer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKeyConfigValidation(t *testing.T) {
	st := newKeyStore()
	for _, tc := range []struct {
		name string
		c    keyConfig
		ok   bool
	}{
		{"defaults", keyConfig{}, true},
		{"EdDSA", keyConfig{Alg: "EdDSA"}, true},
		{"RS256", keyConfig{Alg: "RS256"}, true},
		{"HS256 refused", keyConfig{Alg: "HS256"}, false},
		{"none refused", keyConfig{Alg: "none"}, false},
		{"lower-case refused", keyConfig{Alg: "es256"}, false},
		{"negative rotation", keyConfig{Rotation: -time.Second}, false},
		{"rotation under 1s", keyConfig{Rotation: time.Millisecond}, false},
		{"negative max-age", keyConfig{JWKSMaxAge: -time.Second}, false},
		{"negative access lifetime", keyConfig{AccessTTL: -time.Second}, false},
		{"rotation far shorter than the access lifetime", keyConfig{Rotation: time.Second, AccessTTL: time.Hour}, false},
		{"short rotation", keyConfig{Rotation: 2 * time.Second, JWKSMaxAge: time.Second, AccessTTL: time.Second}, true},
		{"master key 32 bytes", keyConfig{MasterKey: make([]byte, 32)}, true},
		{"master key 16 bytes", keyConfig{MasterKey: make([]byte, 16)}, false},
		{"master key empty, not nil", keyConfig{MasterKey: []byte{}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newKeyManager(st, tc.c)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if m != nil {
				m.close()
			}
		})
	}
	if _, err := newKeyManager(nil, keyConfig{}); err == nil {
		t.Fatal("nil store accepted")
	}
	m := newTestManager(t, st, nil, keyConfig{})
	if m.cfg.Alg != "ES256" || m.cfg.Rotation != 7*24*time.Hour || m.cfg.JWKSMaxAge != 10*time.Minute || m.cfg.AccessTTL != 15*time.Minute {
		t.Fatalf("defaults: %+v", m.cfg)
	}
	if _, maxAge := m.jwks(); maxAge != 10*time.Minute {
		t.Fatalf("jwks max-age %v", maxAge)
	}
}

func TestSchedule(t *testing.T) {
	for _, tc := range []struct {
		rotation, maxAge, reload, lead time.Duration
	}{
		{7 * 24 * time.Hour, 10 * time.Minute, time.Minute, 11 * time.Minute},
		{time.Hour, 10 * time.Minute, time.Minute, 11 * time.Minute},
		{10 * time.Minute, 10 * time.Minute, time.Minute, 5 * time.Minute}, // lead capped at R/2
		{4 * time.Second, time.Second, time.Second, 2 * time.Second},
		{24 * time.Hour, 2 * time.Minute, 30 * time.Second, 150 * time.Second},
	} {
		reload, lead := schedule(tc.rotation, tc.maxAge)
		if reload != tc.reload || lead != tc.lead {
			t.Errorf("schedule(%v, %v) = %v, %v; want %v, %v", tc.rotation, tc.maxAge, reload, lead, tc.reload, tc.lead)
		}
	}
}

type issued struct {
	tok string
	kid string
	exp time.Time
}

// TestRotationOverAMonth steps the clock through a month: every token stays
// verifiable with the JWKS of the moment until its exp plus the leeway, each
// new key is in the JWKS at least a max-age (or the capped lead) before it
// first signs, and retired keys leave only after their tokens expired.
func TestRotationOverAMonth(t *testing.T) {
	for _, tc := range []struct {
		name       string
		c          keyConfig
		step, span time.Duration
		lead       time.Duration // the least pre-publication the test demands
		rotations  int
	}{
		{"defaults for 30 days", keyConfig{}, 5 * time.Minute, 30 * 24 * time.Hour, 10 * time.Minute, 4},
		{"10 min rotation, lead capped", keyConfig{Rotation: 10 * time.Minute, AccessTTL: 5 * time.Minute}, 20 * time.Second, 3 * time.Hour, 5 * time.Minute, 17},
		{"EdDSA daily for 30 days", keyConfig{Alg: "EdDSA", Rotation: 24 * time.Hour, JWKSMaxAge: time.Hour}, 10 * time.Minute, 30 * 24 * time.Hour, time.Hour, 29},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newTestClock()
			m := newTestManager(t, newKeyStore(), clk, tc.c)
			ttl := m.cfg.AccessTTL
			var v jwksVerifier
			firstSeen := map[string]time.Time{}
			firstSign := map[string]time.Time{}
			maxExp := map[string]time.Time{}
			gone := map[string]bool{}
			var live []issued
			var prev []string
			for elapsed := time.Duration(0); elapsed <= tc.span; elapsed += tc.step {
				if elapsed > 0 {
					clk.Advance(tc.step)
				}
				now := clk.Now()
				mustStep(t, m)
				doc, _ := m.jwks()
				kids := jwksKids(t, doc)
				inDoc := map[string]bool{}
				for _, k := range kids {
					inDoc[k] = true
					if gone[k] {
						t.Fatalf("%v: key %s published again", now, k)
					}
					if _, ok := firstSeen[k]; !ok {
						firstSeen[k] = now
					}
				}
				for _, k := range prev {
					if inDoc[k] {
						continue
					}
					gone[k] = true
					if now.Before(maxExp[k].Add(30 * time.Second)) {
						t.Fatalf("%v: key %s unpublished before its last token's exp %v + 30s", now, k, maxExp[k])
					}
				}
				prev = kids
				v.use(t, doc, clk)

				tok, err := m.sign(context.Background(), claimsAt(now, ttl))
				if err != nil {
					t.Fatalf("%v: sign: %v", now, err)
				}
				kid := tokenHeader(t, tok)["kid"]
				if !inDoc[kid] {
					t.Fatalf("%v: signed with %s, not in the JWKS %v", now, kid, kids)
				}
				if _, ok := firstSign[kid]; !ok {
					firstSign[kid] = now
					if len(firstSign) > 1 && now.Sub(firstSeen[kid]) < tc.lead {
						t.Fatalf("%v: key %s signs %v after it was published, want ≥ %v", now, kid, now.Sub(firstSeen[kid]), tc.lead)
					}
				}
				exp := time.Unix(now.Add(ttl).Unix(), 0)
				if exp.After(maxExp[kid]) {
					maxExp[kid] = exp
				}
				live = append(live, issued{tok, kid, exp})

				kept := live[:0]
				for _, is := range live {
					if !now.Before(is.exp.Add(30 * time.Second)) {
						continue
					}
					if _, err := v.check(is.tok); err != nil {
						t.Fatalf("%v: token of key %s (exp %v) rejected: %v", now, is.kid, is.exp, err)
					}
					kept = append(kept, is)
				}
				live = kept
			}
			if got := len(firstSign) - 1; got < tc.rotations {
				t.Fatalf("%d rotations, want ≥ %d", got, tc.rotations)
			}
			if len(gone) < tc.rotations-1 {
				t.Fatalf("%d keys unpublished, want ≥ %d", len(gone), tc.rotations-1)
			}
			if n := len(prev); n > 3 {
				t.Fatalf("%d keys still published", n)
			}
			lr := m.ring.Load()
			for _, k := range lr.keys[1:] {
				if k.activates.Sub(k.published) < m.lead {
					t.Fatalf("key %s activates %v after publication, lead %v", k.kid, k.activates.Sub(k.published), m.lead)
				}
			}
		})
	}
}

// TestTwoInstances: two managers on one store; exactly one ring write wins
// the first generation and one each rotation, and both sign with the same
// key.
func TestTwoInstances(t *testing.T) {
	clk := newTestClock()
	st := newKeyStore()
	c := keyConfig{Rotation: time.Hour}
	a := newTestManager(t, st, clk, c)
	b := newTestManager(t, st, clk, c)

	both := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, m := range []*keyManager{a, b} {
			wg.Go(func() { errs[i] = m.step(context.Background()) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	}
	sameKid := func() string {
		t.Helper()
		ta, err := a.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		tb, err := b.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		ka, kb := tokenHeader(t, ta)["kid"], tokenHeader(t, tb)["kid"]
		if ka != kb {
			t.Fatalf("instances sign with %s and %s", ka, kb)
		}
		return ka
	}

	st.set(func(s *keyStore) { s.barrier = 2 }) // both load version 0 before either writes
	both()
	if _, ver, swaps := st.state(); swaps != 1 || ver != 1 {
		t.Fatalf("after start: %d successful writes, version %d; want 1, 1", swaps, ver)
	}
	first := sameKid()
	if len(a.ring.Load().keys) != 1 || len(b.ring.Load().keys) != 1 {
		t.Fatal("a ring with more than one key after generation")
	}

	clk.Advance(time.Hour - a.lead) // the successor is due
	st.set(func(s *keyStore) { s.loads, s.barrier = 0, 2 })
	both()
	if _, ver, swaps := st.state(); swaps != 2 || ver != 2 {
		t.Fatalf("after rotation: %d successful writes, version %d; want 2, 2", swaps, ver)
	}
	if n := len(a.ring.Load().keys); n != 2 || len(b.ring.Load().keys) != 2 {
		t.Fatalf("rings hold %d and %d keys, want 2", n, len(b.ring.Load().keys))
	}
	if sameKid() != first {
		t.Fatal("the successor signs before its activation")
	}
	da, _ := a.jwks()
	db, _ := b.jwks()
	if string(da) != string(db) || len(jwksKids(t, da)) != 2 {
		t.Fatalf("JWKS differ or lack the successor:\n%s\n%s", da, db)
	}

	clk.Advance(a.lead)
	both()
	if sameKid() == first {
		t.Fatal("still signing with the first key after the successor's activation")
	}
	// b alone keeps up with a's rotation by reloading.
	clk.Advance(time.Hour - a.lead)
	mustStep(t, a)
	clk.Advance(a.lead)
	mustStep(t, b)
	sameKid()
	if _, _, swaps := st.state(); swaps != 3 {
		t.Fatalf("%d writes, want 3", swaps)
	}
}

// TestStoreErrors: load and write failures are reported as
// ErrStoreUnavailable without the store's text, never lose the current
// key, and are retried until the rotation happens.
func TestStoreErrors(t *testing.T) {
	t.Run("first load fails", func(t *testing.T) {
		st := newKeyStore()
		m := newTestManager(t, st, newTestClock(), keyConfig{})
		st.set(func(s *keyStore) { s.failLoad = 1 })
		err := m.step(context.Background())
		if !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, errStoreDown) {
			t.Fatalf("err = %v", err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("store text in the error: %q", err)
		}
		_, err = m.sign(context.Background(), claimsAt(time.Now(), time.Minute))
		if !errors.Is(err, ErrStoreUnavailable) || strings.Contains(err.Error(), "secret") {
			t.Fatalf("sign without keys: %v", err)
		}
		if _, _, err := m.loader().LoadKeys(context.Background()); !errors.Is(err, ErrStoreUnavailable) {
			t.Fatalf("loader without keys: %v", err)
		}
		if doc, _ := m.jwks(); string(doc) != `{"keys":[]}` {
			t.Fatalf("jwks without keys: %s", doc)
		}
		mustStep(t, m)
		if _, err := m.sign(context.Background(), claimsAt(time.Now(), time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
	for _, tc := range []struct {
		name  string
		fault func(s *keyStore)
	}{
		{"load fails at rotation", func(s *keyStore) { s.failLoad = 3 }},
		{"write fails at rotation", func(s *keyStore) { s.failSwap = 3 }},
		{"write lands but its answer is lost", func(s *keyStore) { s.failSwap, s.applyFail = 1, true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newTestClock()
			st := newKeyStore()
			m := newTestManager(t, st, clk, keyConfig{Rotation: time.Hour})
			mustStep(t, m)
			tok, _ := m.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
			first := tokenHeader(t, tok)["kid"]
			clk.Advance(time.Hour - m.lead)
			st.set(tc.fault)
			fails := 0
			for {
				err := m.step(context.Background())
				if err == nil {
					break
				}
				if !errors.Is(err, ErrStoreUnavailable) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("err = %q", err)
				}
				if fails++; fails > 5 {
					t.Fatal("never recovered")
				}
				tok, err := m.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
				if err != nil || tokenHeader(t, tok)["kid"] != first {
					t.Fatalf("during the outage: %v, kid %v", err, tokenHeader(t, tok)["kid"])
				}
				doc, _ := m.jwks()
				if kids := jwksKids(t, doc); len(kids) == 0 || kids[0] != first {
					t.Fatalf("JWKS lost the current key: %v", kids)
				}
			}
			if n := len(m.ring.Load().keys); n != 2 {
				t.Fatalf("ring holds %d keys after recovery, want 2", n)
			}
			clk.Advance(m.lead)
			mustStep(t, m)
			tok, _ = m.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
			if tokenHeader(t, tok)["kid"] == first {
				t.Fatal("no rotation after the store recovered")
			}
		})
	}
}

// TestAlgorithmChange: a ring of another algorithm is rotated to the
// configured one, with the same pre-publication.
func TestAlgorithmChange(t *testing.T) {
	clk := newTestClock()
	st := newKeyStore()
	old := newTestManager(t, st, clk, keyConfig{Alg: "EdDSA"})
	mustStep(t, old)
	clk.Advance(time.Hour)
	m := newTestManager(t, st, clk, keyConfig{Alg: "ES256"})
	mustStep(t, m)
	var v jwksVerifier
	sign := func() (string, string) {
		tok, err := m.sign(context.Background(), claimsAt(clk.Now(), m.cfg.AccessTTL))
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := m.jwks()
		v.use(t, doc, clk)
		if _, err := v.check(tok); err != nil {
			t.Fatalf("token rejected: %v", err)
		}
		return tokenHeader(t, tok)["alg"], tok
	}
	if alg, _ := sign(); alg != "EdDSA" {
		t.Fatalf("signs %s before the new key's lead passed", alg)
	}
	doc, _ := m.jwks()
	if n := len(jwksKids(t, doc)); n != 2 {
		t.Fatalf("JWKS holds %d keys, want the old and the new", n)
	}
	clk.Advance(m.lead - time.Second)
	mustStep(t, m)
	alg, lastOld := sign()
	if alg != "EdDSA" {
		t.Fatalf("signs %s before the lead passed", alg)
	}
	clk.Advance(time.Second)
	mustStep(t, m)
	if alg, _ := sign(); alg != "ES256" {
		t.Fatalf("signs %s after the lead", alg)
	}
	clk.Advance(m.cfg.AccessTTL + 28*time.Second) // lastOld exp + 29 s
	mustStep(t, m)
	doc, _ = m.jwks()
	v.use(t, doc, clk)
	if _, err := v.check(lastOld); err != nil {
		t.Fatalf("last EdDSA token rejected within its leeway: %v", err)
	}
	clk.Advance(2 * time.Second)
	mustStep(t, m)
	doc, _ = m.jwks()
	if n := len(jwksKids(t, doc)); n != 1 || strings.Contains(string(doc), "OKP") {
		t.Fatalf("old key still published: %s", doc)
	}
	if _, _, swaps := st.state(); swaps != 3 { // generate, rotate, prune
		t.Fatalf("%d writes, want 3", swaps)
	}
	if n := len(m.ring.Load().keys); n != 1 {
		t.Fatalf("ring holds %d keys after pruning", n)
	}
}

// TestBackground: start loads in the background with retries, ready waits
// for it, the loop rotates on its own, close stops it.
func TestBackground(t *testing.T) {
	st := newKeyStore()
	st.set(func(s *keyStore) { s.failLoad = 2 })
	m := newTestManager(t, st, nil, keyConfig{Rotation: 2 * time.Second, JWKSMaxAge: time.Second, AccessTTL: time.Second})
	m.firstBackoff = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	err := m.ready(ctx)
	cancel()
	if !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ready before start: %v", err)
	}
	m.start()
	m.start()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	tok, err := m.sign(ctx, claimsAt(time.Now(), time.Second))
	if err != nil {
		t.Fatal(err)
	}
	first := tokenHeader(t, tok)["kid"]
	deadline := time.Now().Add(5 * time.Second)
	for {
		tok, err := m.sign(ctx, claimsAt(time.Now(), time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if tokenHeader(t, tok)["kid"] != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no rotation within 5s of a 2s period")
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.close()
	m.close()
	_, ver, _ := st.state()
	time.Sleep(1200 * time.Millisecond)
	if _, v2, _ := st.state(); v2 != ver {
		t.Fatal("ring written after close")
	}
	if _, err := m.sign(context.Background(), claimsAt(time.Now(), time.Second)); err != nil {
		t.Fatalf("sign after close: %v", err)
	}
}

func TestReadyAfterCloseAndSignErrors(t *testing.T) {
	st := newKeyStore()
	m := newTestManager(t, st, nil, keyConfig{})
	m.close()
	m.start() // after close: nothing starts, nothing panics
	m.close()
	if err := m.ready(context.Background()); err == nil {
		t.Fatal("ready after close without keys: nil")
	}
	if _, err := m.sign(context.Background(), []byte(`{}`)); !errors.Is(err, ErrStoreUnavailable) {
		t.Fatalf("sign after close without keys: %v", err)
	}
	var loads int
	st.set(func(s *keyStore) { loads = s.loads })
	if loads != 0 {
		t.Fatal("the store was used after close")
	}
	m2 := newTestManager(t, newKeyStore(), nil, keyConfig{})
	mustStep(t, m2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m2.sign(ctx, []byte(`{}`)); !errors.Is(err, context.Canceled) {
		t.Fatalf("sign with a done context: %v", err)
	}
	for _, c := range []string{"", "[]", `"x"`, "{"} {
		if _, err := m2.sign(context.Background(), []byte(c)); err == nil {
			t.Fatalf("claims %q signed", c)
		}
	}
}

// TestSuccessorTiming: the successor is written lead before the rotation
// is due and activates exactly one period after its predecessor; after
// downtime it activates lead after it is written, never sooner.
func TestSuccessorTiming(t *testing.T) {
	for _, tc := range []struct {
		name  string
		late  time.Duration // how long after the due time the first step runs
		after func(m *keyManager, a, now time.Time) time.Time
	}{
		{"on time", 0, func(m *keyManager, a, _ time.Time) time.Time { return a.Add(m.cfg.Rotation) }},
		{"after a day of downtime", 24 * time.Hour, func(m *keyManager, _, now time.Time) time.Time { return now.Add(m.lead) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newTestClock()
			m := newTestManager(t, newKeyStore(), clk, keyConfig{Rotation: 48 * time.Hour})
			mustStep(t, m)
			a := m.ring.Load().keys[0].activates
			clk.Advance(48*time.Hour - m.lead - time.Second)
			mustStep(t, m)
			if n := len(m.ring.Load().keys); n != 1 {
				t.Fatalf("successor written %v before it was due", time.Second)
			}
			clk.Advance(time.Second + tc.late)
			mustStep(t, m)
			keys := m.ring.Load().keys
			if len(keys) != 2 {
				t.Fatalf("%d keys when the successor is due", len(keys))
			}
			now := clk.Now()
			want := tc.after(m, a, now)
			if !keys[1].published.Equal(now) || !keys[1].activates.Equal(want) {
				t.Fatalf("successor published %v, activates %v; want %v, %v", keys[1].published, keys[1].activates, now, want)
			}
			if !keys[0].retires.Equal(want) || !keys[0].unpublish.Equal(want.Add(m.cfg.AccessTTL+30*time.Second)) {
				t.Fatalf("predecessor retires %v, unpublished %v", keys[0].retires, keys[0].unpublish)
			}
			if d := m.nextWake(); d != m.reload {
				t.Fatalf("next wake %v with a successor waiting, want the reload interval %v", d, m.reload)
			}
		})
	}
	// With the successor far off, the loop wakes for it rather than waiting a
	// full reload interval past it.
	clk := newTestClock()
	m := newTestManager(t, newKeyStore(), clk, keyConfig{Rotation: time.Hour})
	mustStep(t, m)
	clk.Advance(time.Hour - m.lead - 10*time.Second)
	if d := m.nextWake(); d != 10*time.Second {
		t.Fatalf("next wake %v, want 10s", d)
	}
}

// TestSignRightAfterStart: a sign right after start waits for the first
// load instead of failing; when that load fails it fails at once with
// ErrStoreUnavailable, and succeeds after the retry.
func TestSignRightAfterStart(t *testing.T) {
	m := newTestManager(t, newKeyStore(), nil, keyConfig{})
	m.start()
	if _, err := m.sign(context.Background(), claimsAt(time.Now(), time.Minute)); err != nil {
		t.Fatalf("sign right after start: %v", err)
	}

	st := newKeyStore()
	st.set(func(s *keyStore) { s.failLoad = 1 })
	m = newTestManager(t, st, nil, keyConfig{})
	m.firstBackoff = 50 * time.Millisecond
	m.start()
	_, err := m.sign(context.Background(), claimsAt(time.Now(), time.Minute))
	if !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, errStoreDown) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("sign while the first load failed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.ready(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.sign(ctx, claimsAt(time.Now(), time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// TestOnMemoryStore: the same rotation through the package's memory store,
// with two instances stepping concurrently many times.
func TestOnMemoryStore(t *testing.T) {
	clk := newTestClock()
	st := NewMemoryStore()
	c := keyConfig{Rotation: time.Hour, MasterKey: masterKey(3)}
	ms := []*keyManager{newTestManager(t, st, clk, c), newTestManager(t, st, clk, c)}
	kids := map[string]bool{}
	for i := 0; i < 12; i++ {
		var wg sync.WaitGroup
		for _, m := range ms {
			wg.Go(func() {
				if err := m.step(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for _, m := range ms { // the loser of a race reloads at its next step
			mustStep(t, m)
		}
		var got []string
		for _, m := range ms {
			tok, err := m.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, tokenHeader(t, tok)["kid"])
		}
		if got[0] != got[1] {
			t.Fatalf("step %d: instances sign with %v", i, got)
		}
		kids[got[0]] = true
		clk.Advance(15 * time.Minute)
	}
	if len(kids) != 3 { // 3 hours: the first key and two successors
		t.Fatalf("%d keys signed in 3 hours of 1 h rotation", len(kids))
	}
}
