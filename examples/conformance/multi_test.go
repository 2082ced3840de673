package main

// Several conformance servers over one store (docs/stores.md, "Several
// instances"): what lifecycle.md promises across processes, shown black-box
// over HTTP against the shared PostgreSQL and Redis. Each test works in a
// fresh PostgreSQL schema or Redis key prefix (-store-namespace), so runs
// never see each other's sessions or keys.

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// backend is a shared store server and the flags that put a conformance
// server on a fresh namespace of it.
type backend struct {
	name  string
	need  func(testing.TB)
	flags func(testing.TB) []string // a fresh namespace per call
}

var backends = []backend{
	{"postgres", needPostgres, func(t testing.TB) []string {
		return []string{"-store", "postgres:" + postgresURL(), "-store-namespace", pgSchema(t)}
	}},
	{"redis", needRedis, func(t testing.TB) []string {
		return []string{"-store", "redis:" + redisURL(), "-store-namespace", redisPrefix(t)}
	}},
}

// pair starts two conformance servers, A (nethttp) and B (gin), on one
// namespace of b's server with the same iss, so each accepts the other's
// tokens.
func pair(t *testing.T, b backend, extra ...string) (a, bb *instance) {
	t.Helper()
	b.need(t)
	flags := append(b.flags(t), "-self-issuer", "https://multi.example")
	flags = append(flags, extra...)
	a = startServer(t, append([]string{"-framework", "nethttp"}, flags...)...)
	bb = startServer(t, append([]string{"-framework", "gin"}, flags...)...)
	return a, bb
}

func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}

// TestMultiInstanceRefresh: a session created on A refreshes on B, and the
// token B answered refreshes on A; each verifies the other's access tokens.
func TestMultiInstanceRefresh(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a, bb := pair(t, b)
		s0 := a.login("alice")
		r := bb.refresh(s0.refresh)
		if r.status != 200 {
			t.Fatalf("refresh on B of A's session: %v", r)
		}
		s1 := sessionOf(t, r)
		if s1.sid != s0.sid {
			t.Errorf("sid changed across instances: %s → %s", s0.sid, s1.sid)
		}
		r = a.refresh(s1.refresh)
		if r.status != 200 {
			t.Fatalf("refresh on A of the token B answered: %v", r)
		}
		s2 := sessionOf(t, r)
		for _, c := range []struct {
			on     *instance
			access string
			from   string
		}{{bb, s0.access, "A (login)"}, {a, s1.access, "B"}, {bb, s2.access, "A"}} {
			if got := c.on.get("/any/required", c.access); got.status != 200 || !strings.Contains(string(got.body), `"sub":"alice"`) {
				t.Errorf("%s's access token on the other instance: %v", c.from, got)
			}
		}
		// The session is one row: both list it once.
		for _, in := range []*instance{a, bb} {
			got := do("GET", in.base+"/auth/sessions", "", map[string]string{"Authorization": "Bearer " + s2.access})
			if got.status != 200 || strings.Count(string(got.body), `"sid"`) != 1 {
				t.Errorf("own sessions on %s: %v", in.base, got)
			}
		}
	})
}

// TestMultiInstanceTheft: B rotates a session twice; after the grace
// window, A is shown the first token and detects the theft, revokes the
// session, and B then refuses the newest token.
func TestMultiInstanceTheft(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		const grace = time.Second
		a, bb := pair(t, b, "-refresh-grace", grace.String())
		s0 := a.login("mallory-victim")
		r := bb.refresh(s0.refresh)
		if r.status != 200 {
			t.Fatalf("first refresh on B: %v", r)
		}
		r = bb.refresh(sessionOf(t, r).refresh)
		if r.status != 200 {
			t.Fatalf("second refresh on B: %v", r)
		}
		s2 := sessionOf(t, r)
		time.Sleep(grace + 500*time.Millisecond)
		// A created the session and may still hold its first row: it must
		// judge the stored one.
		r = a.refresh(s0.refresh)
		if r.status != 401 || r.code() != "TOKEN_THEFT_DETECTED" {
			t.Fatalf("the replayed first token on A: %v, want 401 TOKEN_THEFT_DETECTED", r)
		}
		if th := do("GET", a.base+"/test/thefts", "", nil); !strings.Contains(string(th.body), s0.sid) {
			t.Errorf("A's theft hook did not see %s: %v", s0.sid, th)
		}
		if r := bb.refresh(s2.refresh); r.status != 401 || r.code() != "UNAUTHORISED" {
			t.Errorf("B's newest token after the theft: %v, want 401 UNAUTHORISED (session revoked)", r)
		}
	})
}

// TestMultiInstanceRevocation: a logout on B, and a revoke-all on B, are
// refused by A's revocation check within 2 s (lifecycle §4); A's routes
// without the check accept the access token until it expires, and A
// refuses the revoked sessions' refresh tokens.
func TestMultiInstanceRevocation(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a, bb := pair(t, b)
		s := a.login("carol")
		if r := a.get("/revocation/required", s.access); r.status != 200 {
			t.Fatalf("revocation check before the logout: %v", r)
		}
		start := time.Now()
		if r := do("POST", bb.base+"/auth/logout", "", map[string]string{"Authorization": "Bearer " + s.access}); r.status != 204 {
			t.Fatalf("logout on B: %v", r)
		}
		seen := func(in *instance, access string) func() bool {
			return func() bool { return in.get("/revocation/required", access).status == 401 }
		}
		if !waitUntil(2*time.Second, seen(a, s.access)) {
			t.Fatalf("A's revocation check still accepts the session 2 s after B revoked it")
		}
		t.Logf("%s: logout on B refused by A after %v", b.name, time.Since(start).Round(time.Millisecond))
		if r := a.get("/revocation/required", s.access); r.code() != "UNAUTHORISED" ||
			!strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("revoked on A: %v %v", r, r.header)
		}
		if r := a.get("/any/required", s.access); r.status != 200 {
			t.Errorf("route without the revocation check: %v, want 200 until exp", r)
		}
		if r := a.refresh(s.refresh); r.status != 401 || r.code() != "UNAUTHORISED" {
			t.Errorf("refresh of the revoked session on A: %v", r)
		}

		// Every session of a subject, revoked on B.
		d1, d2 := a.login("dave"), bb.login("dave")
		start = time.Now()
		if r := do("POST", bb.base+"/admin/revoke-all", `{"sub":"dave"}`, nil); r.status != 204 {
			t.Fatalf("revoke-all on B: %v", r)
		}
		if !waitUntil(2*time.Second, func() bool { return seen(a, d1.access)() && seen(a, d2.access)() }) {
			t.Fatalf("A's revocation check still accepts dave's sessions 2 s after B revoked them all")
		}
		t.Logf("%s: revoke-all on B refused by A after %v", b.name, time.Since(start).Round(time.Millisecond))
	})
}

// TestMultiInstanceKeyRotation: two instances share the key ring; with a
// one-minute rotation (the least the issuer accepts) exactly one new key
// appears — published in both JWKS before either signs with it — both sign
// with it, both verify each other's tokens of the new key and the old one,
// and both JWKS agree.
func TestMultiInstanceKeyRotation(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		a, bb := pair(t, b, "-key-rotation", "1m", "-jwks-max-age", "2s")
		kidsA, docA, ja := a.jwksKids()
		kidsB, docB, _ := bb.jwksKids()
		if len(kidsA) != 1 || !slices.Equal(kidsA, kidsB) || docA != docB {
			t.Fatalf("JWKS at start: A %v, B %v", kidsA, kidsB)
		}
		if cc := ja.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=2") {
			t.Errorf("JWKS Cache-Control %q, want max-age=2", cc)
		}
		k1 := kidsA[0]
		old := a.login("erin")
		if kid(t, old.access) != k1 {
			t.Fatalf("first token signed with %s, JWKS has %s", kid(t, old.access), k1)
		}
		seen := map[string]bool{k1: true}
		var published, signedA, signedB time.Time
		var newA, newB session
		deadline := time.Now().Add(90 * time.Second)
		for signedA.IsZero() || signedB.IsZero() {
			if time.Now().After(deadline) {
				t.Fatalf("no rotation within 90 s; keys seen %v", seen)
			}
			for _, in := range []*instance{a, bb} {
				kids, _, _ := in.jwksKids()
				for _, k := range kids {
					if !seen[k] && published.IsZero() {
						published = time.Now()
					}
					seen[k] = true
				}
			}
			if sa := a.login("erin"); kid(t, sa.access) != k1 && signedA.IsZero() {
				signedA, newA = time.Now(), sa
			}
			if sb := bb.login("erin"); kid(t, sb.access) != k1 && signedB.IsZero() {
				signedB, newB = time.Now(), sb
			}
			time.Sleep(250 * time.Millisecond)
		}
		k2 := kid(t, newA.access)
		if kid(t, newB.access) != k2 {
			t.Errorf("A signs with %s, B with %s: two current keys", k2, kid(t, newB.access))
		}
		if len(seen) != 2 {
			t.Errorf("keys seen in the JWKS: %v; one rotation must add exactly one key (one instance rotates)", seen)
		}
		if published.IsZero() || !published.Before(signedA) || !published.Before(signedB) {
			t.Errorf("new key published at %v, signing on A from %v and on B from %v: not published first", published, signedA, signedB)
		}
		t.Logf("%s: new key published %v before A signed with it, %v before B", b.name,
			signedA.Sub(published).Round(time.Millisecond), signedB.Sub(published).Round(time.Millisecond))
		for _, c := range []struct {
			on   *instance
			tok  string
			what string
		}{{bb, newA.access, "A's new-key token on B"}, {a, newB.access, "B's new-key token on A"},
			{bb, old.access, "A's old-key token on B"}, {a, old.access, "A's old-key token on A"}} {
			if r := c.on.get("/any/required", c.tok); r.status != 200 {
				t.Errorf("%s: %v", c.what, r)
			}
		}
		if !waitUntil(5*time.Second, func() bool {
			kidsA, docA, _ = a.jwksKids()
			kidsB, docB, _ = bb.jwksKids()
			return docA == docB
		}) {
			t.Errorf("JWKS differ: A %v, B %v", kidsA, kidsB)
		}
		if !slices.Equal(kidsA, []string{min(k1, k2), max(k1, k2)}) {
			t.Errorf("JWKS after the rotation: %v, want the old and the new key", kidsA)
		}
	})
}
