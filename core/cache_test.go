package sessionguard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestCacheHitReturnsTheVerifiedSession(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	v, err := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := v.Required()
	tok := k.Mint(sgtest.Claims("iss", "u1", time.Hour))
	s1, err := g.Check(context.Background(), bearerReq(tok))
	if err != nil {
		t.Fatal(err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("cache has %d entries, want 1", v.cache.len())
	}
	s2, err := g.Check(context.Background(), bearerReq(tok))
	if err != nil || s2 != s1 {
		t.Fatalf("second check: %v, same session %v", err, s2 == s1)
	}
	// The same token from the cookie: a session with source cookie.
	s3, err := g.Check(context.Background(), MapRequest{Header: http.Header{"Cookie": {"access_token=" + tok}}})
	if err != nil || s3.Source() != SourceCookie || s3.Subject() != "u1" {
		t.Fatalf("cookie hit: %v %v", s3, err)
	}
	if s1.Source() != SourceHeader {
		t.Fatal("the cached session was modified")
	}
}

func TestCacheEntryNeverOutlivesExp(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	clock := sgtest.NewClock(time.Now())
	v, _ := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))), WithClock(clock.Now), WithLeeway(10*time.Second))
	g, _ := v.Required()
	c := sgtest.Claims("iss", "u1", 0)
	c["exp"] = clock.Now().Add(time.Minute).Unix()
	tok := k.Mint(c)
	if _, err := g.Check(context.Background(), bearerReq(tok)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute + 5*time.Second) // past exp, within leeway
	if _, err := g.Check(context.Background(), bearerReq(tok)); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	clock.Advance(6 * time.Second) // past exp + leeway
	_, err := g.Check(context.Background(), bearerReq(tok))
	if !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("after exp+leeway: %v, want expired", err)
	}
	if v.cache.len() != 0 {
		t.Fatalf("expired entry kept: %d", v.cache.len())
	}
}

func TestCacheDropsEntriesOfRetiredKeys(t *testing.T) {
	a, b := sgtest.NewKey("ES256", "a"), sgtest.NewKey("ES256", "b")
	srv := sgtest.NewJWKSServer(a, b)
	defer srv.Close()
	v, err := New(WithIssuer("iss", RemoteJWKS(srv.URL(), WithMinRefreshInterval(10*time.Millisecond),
		WithRefreshInterval(10*time.Millisecond), WithMaxRefreshInterval(time.Second))))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := v.Required()
	tokA := a.Mint(sgtest.Claims("iss", "u1", time.Hour))
	tokB := b.Mint(sgtest.Claims("iss", "u2", time.Hour))
	for _, tok := range []string{tokA, tokB} {
		if _, err := g.Check(ctx, bearerReq(tok)); err != nil {
			t.Fatal(err)
		}
	}
	srv.SetKeys(b) // a is rotated out
	deadline := time.Now().Add(5 * time.Second)
	for v.issuers["iss"].current().byKid["a"] != nil {
		if time.Now().After(deadline) {
			t.Fatal("key set never refreshed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := g.Check(ctx, bearerReq(tokA)); !errors.Is(err, ErrTryRefreshToken) {
		t.Fatalf("token of a retired key: %v, want TRY_REFRESH_TOKEN", err)
	}
	if _, err := g.Check(ctx, bearerReq(tokB)); err != nil {
		t.Fatalf("token of the remaining key: %v", err)
	}
}

func TestCacheStillRunsPerRequestRules(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	v, _ := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))))
	c := sgtest.Claims("iss", "u1", time.Hour)
	c["roles"] = []string{"user"}
	tok := k.Mint(c)
	ctx := context.Background()
	plain, _ := v.Required()
	if _, err := plain.Check(ctx, bearerReq(tok)); err != nil {
		t.Fatal(err)
	}
	// Validators run on a hit.
	admin, _ := v.Required(WithClaims(Includes("roles", "admin")))
	if _, err := admin.Check(ctx, bearerReq(tok)); !errors.Is(err, ErrInvalidClaims) {
		t.Fatalf("validator on a cached token: %v", err)
	}
	// The transfer method is applied on a hit.
	cookieOnly, _ := v.Optional(WithTransfer(TransferCookie))
	if s, err := cookieOnly.Check(ctx, bearerReq(tok)); s != nil || err != nil {
		t.Fatalf("header token on a cookie route: %v %v", s, err)
	}
	// The cross-origin check is applied on a hit.
	cross := MapRequest{RequestMethod: "POST", Header: http.Header{
		"Cookie": {"access_token=" + tok}, "Sec-Fetch-Site": {"cross-site"}}}
	if _, err := plain.Check(ctx, cross); !errors.Is(err, ErrCrossOriginRequest) {
		t.Fatalf("cross-site cookie on a cached token: %v", err)
	}
}

func TestCacheBounds(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	v, _ := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))), WithCache(50, 1<<30))
	g, _ := v.Required()
	for i := range 200 {
		tok := k.Mint(sgtest.Claims("iss", fmt.Sprintf("u%d", i), time.Hour))
		if _, err := g.Check(context.Background(), bearerReq(tok)); err != nil {
			t.Fatal(err)
		}
		if n := v.cache.len(); n > 50 {
			t.Fatalf("cache holds %d entries, bound 50", n)
		}
	}
	// Byte bound: entries of ~1 KB each in a 10 KB cache.
	v2, _ := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))), WithCache(1000, 10<<10))
	g2, _ := v2.Required()
	for i := range 100 {
		tok := k.Mint(sgtest.Claims("iss", fmt.Sprintf("u%d", i), time.Hour))
		if _, err := g2.Check(context.Background(), bearerReq(tok)); err != nil {
			t.Fatal(err)
		}
		if b := v2.cache.bytes.Load(); b > 10<<10 {
			t.Fatalf("cache holds %d bytes, bound %d", b, 10<<10)
		}
	}
	if v2.cache.len() == 0 {
		t.Fatal("byte-bounded cache holds nothing")
	}
	off, _ := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))), WithoutCache())
	if off.cache != nil {
		t.Fatal("WithoutCache left a cache")
	}
	if _, err := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))), WithCache(0, 1)); err == nil {
		t.Fatal("WithCache(0, 1) accepted")
	}
}

func TestCacheConcurrent(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	v, _ := New(WithIssuer("iss", StaticJWKS(sgtest.JWKS(k))), WithCache(16, 1<<20))
	g, _ := v.Required()
	toks := make([]string, 40)
	for i := range toks {
		toks[i] = k.Mint(sgtest.Claims("iss", fmt.Sprintf("u%d", i), time.Hour))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				tok := toks[(i*7+w)%len(toks)]
				s, err := g.Check(context.Background(), bearerReq(tok))
				if err != nil || s.Token() != tok {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := v.cache.len(); n > 16 || n < 1 {
		t.Fatalf("entries after the run: %d", n)
	}
}

// TestCacheAccountsForClaimStrings: the byte bound covers everything a
// cached Session retains, the decoded claim strings included (they are
// copies, not slices of the payload).
func TestCacheAccountsForClaimStrings(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	const limit = 64 << 10
	v, _ := New(WithKeySource(StaticJWKS(sgtest.JWKS(k))), WithCache(1000, limit))
	g, _ := v.Required()
	big := func(c byte, i int) string { return fmt.Sprintf("%d-%s", i, strings.Repeat(string(c), 1000)) }
	for i := range 60 {
		c := sgtest.Claims(big('i', i), big('s', i), time.Hour)
		c["sid"], c["jti"] = big('d', i), big('j', i)
		if _, err := g.Check(context.Background(), bearerReq(k.Mint(c))); err != nil {
			t.Fatal(err)
		}
	}
	retained := 0
	v.cache.m.Range(func(_, val any) bool {
		s := val.(*cacheEntry).s
		retained += int(unsafe.Sizeof(*s)) + len(s.token) + len(s.payload) +
			len(s.subject) + len(s.issuer) + len(s.sessionID) + len(s.tokenID)
		return true
	})
	if retained > limit {
		t.Fatalf("cached sessions retain %d bytes, bound %d (accounted %d)", retained, limit, v.cache.bytes.Load())
	}
	if v.cache.len() == 0 {
		t.Fatal("the cache holds nothing")
	}
}

// TestCacheHitNeverAcceptsWhatAMissRefuses: a cached token without kid is
// refused once a rotation adds a second key for its algorithm, exactly as
// an uncached verification refuses it (docs/semantics.md §4).
func TestCacheHitNeverAcceptsWhatAMissRefuses(t *testing.T) {
	a, b := sgtest.NewKey("ES256", "a"), sgtest.NewKey("ES256", "b")
	srv := sgtest.NewJWKSServer(a)
	defer srv.Close()
	src := RemoteJWKS(srv.URL(), WithMinRefreshInterval(10*time.Millisecond),
		WithRefreshInterval(10*time.Millisecond), WithMaxRefreshInterval(time.Second))
	cached, _ := New(WithIssuer("iss", src))
	uncached, _ := New(WithIssuer("iss", src), WithoutCache())
	defer cached.Close()
	defer uncached.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tok := a.MintHeader(map[string]any{"alg": "ES256"}, sgtest.Claims("iss", "u1", time.Hour))
	for _, v := range []*Verifier{cached, uncached} {
		if err := v.Ready(ctx); err != nil {
			t.Fatal(err)
		}
		g, _ := v.Required()
		if _, err := g.Check(ctx, bearerReq(tok)); err != nil {
			t.Fatalf("before the rotation: %v", err)
		}
	}
	srv.SetKeys(a, b)
	deadline := time.Now().Add(5 * time.Second)
	for _, v := range []*Verifier{cached, uncached} {
		for len(v.issuers["iss"].current().all) != 2 {
			if time.Now().After(deadline) {
				t.Fatal("key set never refreshed")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	for name, v := range map[string]*Verifier{"uncached": uncached, "cached": cached} {
		g, _ := v.Required()
		if _, err := g.Check(ctx, bearerReq(tok)); !errors.Is(err, ErrTryRefreshToken) {
			t.Errorf("%s: a kid-less token with two candidate keys: %v, want TRY_REFRESH_TOKEN", name, err)
		}
	}
}
