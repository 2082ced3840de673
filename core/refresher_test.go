package sessionguard_test

// Refresher tests (refresher.go; semantics.md §7 and §4 row 9) against an
// httptest JWKS server: an unreachable or slow key server, rotation,
// unknown-kid floods, Cache-Control extremes and Close: when keys are loaded.
// Every wait polls with a deadline; nothing sleeps for long.

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestKeySetDownAtStart(t *testing.T) {
	t.Run("500 then recovering", func(t *testing.T) {
		t.Parallel()
		k := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(k)
		t.Cleanup(srv.Close)
		srv.SetStatus(http.StatusInternalServerError)
		srv.SetBody([]byte(`{"error":"boom"}`))

		start := time.Now()
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("New took %v", d)
		}
		waitFor(t, 2*time.Second, "the first fetch", func() bool { return srv.Fetches() >= 1 })

		tok := mint(k)
		t0 := time.Now()
		_, err := check(g, tok)
		if d := time.Since(t0); d > 200*time.Millisecond {
			t.Fatalf("Check with no key set took %v; it must answer at once", d)
		}
		mustFail(t, err, sessionguard.ErrKeysUnavailable, sessionguard.ErrKeySetNotLoaded)
		var e *sessionguard.Error
		if !errors.As(err, &e) || e.Code != sessionguard.CodeKeysUnavailable {
			t.Fatalf("code: %v", err)
		}
		resp := v.DefaultResponse(e)
		if resp.Status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" ||
			!bytes.Contains(resp.Body, []byte(`"KEYS_UNAVAILABLE"`)) {
			t.Fatalf("response: %d %v %s", resp.Status, resp.Header, resp.Body)
		}
		if got := g.Render(err); got.Status != http.StatusServiceUnavailable || got.Header.Get("Retry-After") == "" {
			t.Fatalf("Render: %d %v", got.Status, got.Header)
		}

		// The first retry is 1 s after the failure: no hot loop before it.
		time.Sleep(time.Until(start.Add(600 * time.Millisecond)))
		if n := srv.Fetches(); n != 1 {
			t.Fatalf("%d fetches in the first 600ms; want 1 (retry after 1 s backoff)", n)
		}
		srv.SetStatus(http.StatusOK)
		srv.SetKeys(k)
		// Retries come at 1 s, then 3 s (1 s + 2 s) after the first fetch:
		// normally the 1 s one loads the set; a very slow machine may miss
		// it and load at 3 s. Never the 15 min periodic interval.
		ready(t, v, 8*time.Second)
		d := time.Since(start)
		if d < 800*time.Millisecond || d > 6*time.Second {
			t.Fatalf("recovered after %v; want about 1 s (first backoff)", d)
		}
		if n := srv.Fetches(); n < 2 || n > 3 {
			t.Fatalf("recovered after %d fetches, want 2 (or 3 on a slow machine)", n)
		}
		mustVerify(t, g, tok)
	})

	t.Run("hanging server", func(t *testing.T) {
		t.Parallel()
		k := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(k)
		t.Cleanup(srv.Close)
		srv.SetDelay(time.Minute)

		start := time.Now()
		v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, sessionguard.RemoteJWKS(srv.URL())), quiet)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("New blocked for %v on a hanging server", d)
		}
		g, _ := v.Required()
		waitFor(t, 2*time.Second, "the fetch to reach the server", func() bool { return srv.Fetches() >= 1 })
		t0 := time.Now()
		_, err = check(g, mint(k))
		mustFail(t, err, sessionguard.ErrKeysUnavailable)
		if d := time.Since(t0); d > 200*time.Millisecond {
			t.Fatalf("Check took %v while the first fetch hangs", d)
		}
		notReady(t, v, 50*time.Millisecond)
		t0 = time.Now()
		_ = v.Close()
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("Close took %v with a fetch in flight", d)
		}
	})
}

func TestKeySetSlowServer(t *testing.T) {
	t.Run("unknown kid waits at most the fetch timeout", func(t *testing.T) {
		t.Parallel()
		a := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		const timeout = 300 * time.Millisecond
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(),
			sessionguard.WithFetchTimeout(timeout), sessionguard.WithMinRefreshInterval(50*time.Millisecond)))
		ready(t, v, 5*time.Second)
		srv.SetDelay(10 * time.Second)
		time.Sleep(60 * time.Millisecond) // past the min refresh interval

		for i := 0; i < 2; i++ {
			before := srv.Fetches()
			t0 := time.Now()
			_, err := check(g, mintKid(a, "unknown-"+randHex()))
			d := time.Since(t0)
			mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
			if d > timeout+1500*time.Millisecond { // far below the server's 10 s
				t.Fatalf("unknown-kid request waited %v; fetch timeout is %v", d, timeout)
			}
			if i == 0 && srv.Fetches() == before {
				t.Fatalf("the unknown kid did not trigger a refresh")
			}
			time.Sleep(60 * time.Millisecond)
		}
		// The timed-out refreshes kept the last good set.
		mustVerify(t, g, mint(a))
	})

	t.Run("unknown kid waits at most the fetch timeout, even if the transport overruns it", func(t *testing.T) {
		t.Parallel()
		// A transport that ignores cancellation: after serving the first
		// set it blocks until the test ends. The fetch then outlives its
		// own deadline; the request must not.
		a := sgtest.NewKey("ES256", "a")
		release := make(chan struct{})
		var calls atomic.Int64
		client := noNetworkClient(func(r *http.Request) (*http.Response, error) {
			if calls.Add(1) == 1 {
				return jsonResponse(r, sgtest.JWKS(a)), nil
			}
			<-release
			return nil, errors.New("released")
		})
		const timeout = 300 * time.Millisecond
		v, g := newGuard(t, sessionguard.RemoteJWKS("https://keys.example.com/jwks", sessionguard.WithHTTPClient(client),
			sessionguard.WithFetchTimeout(timeout), sessionguard.WithMinRefreshInterval(20*time.Millisecond)))
		t.Cleanup(func() { close(release) }) // runs before the verifier's Close
		ready(t, v, 5*time.Second)
		time.Sleep(30 * time.Millisecond)
		for i := 0; i < 2; i++ { // the first starts the fetch, the second joins it
			t0 := time.Now()
			_, err := check(g, mintKid(a, "unknown-"+randHex()))
			mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
			if d := time.Since(t0); d > timeout+1500*time.Millisecond {
				t.Fatalf("unknown-kid request %d waited %v; fetch timeout is %v", i, d, timeout)
			}
		}
		if calls.Load() != 2 {
			t.Fatalf("%d fetches, want 2 (the load and one hanging refresh)", calls.Load())
		}
		mustVerify(t, g, mint(a))
	})

	t.Run("known kid never waits on a refresh in flight", func(t *testing.T) {
		t.Parallel()
		a := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(),
			sessionguard.WithFetchTimeout(2*time.Second), sessionguard.WithMinRefreshInterval(20*time.Millisecond)))
		ready(t, v, 5*time.Second)
		good := mint(a)
		mustVerify(t, g, good) // warm up
		srv.SetDelay(10 * time.Second)
		time.Sleep(30 * time.Millisecond)

		before := srv.Fetches()
		done := make(chan error, 1)
		go func() {
			_, err := check(g, mintKid(a, "unknown-"+randHex()))
			done <- err
		}()
		waitFor(t, 2*time.Second, "the refresh to reach the server", func() bool { return srv.Fetches() > before })
		// Timings on a loaded CI machine jitter: the fastest of a few must
		// take a few ms, none may come near the 2 s the refresh takes.
		fastest := time.Hour
		for i := 0; i < 5; i++ {
			t0 := time.Now()
			mustVerify(t, g, good)
			d := time.Since(t0)
			if d > 250*time.Millisecond {
				t.Fatalf("known-kid request took %v during a refresh", d)
			}
			fastest = min(fastest, d)
		}
		if fastest > 20*time.Millisecond {
			t.Fatalf("known-kid requests took at least %v during a refresh; want a few ms", fastest)
		}
		select {
		case err := <-done:
			t.Fatalf("the unknown-kid request ended (%v) before the known-kid ones were measured: refresh not in flight", err)
		default:
		}
		// Close cancels the refresh; the waiting request ends promptly.
		_ = v.Close()
		select {
		case err := <-done:
			mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		case <-time.After(3 * time.Second):
			t.Fatal("the unknown-kid request did not end")
		}
	})
}

func TestKeySetRotation(t *testing.T) {
	t.Run("A to B", func(t *testing.T) {
		t.Parallel()
		a := sgtest.NewKey("ES256", "a")
		b := sgtest.NewKey("ES256", "b")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		const minInterval = 300 * time.Millisecond
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMinRefreshInterval(minInterval)))
		ready(t, v, 5*time.Second)
		loadedAt := time.Now()
		tokA, tokB := mint(a), mint(b)
		mustVerify(t, g, tokA)

		// B is published; a token with kid B triggers exactly one refresh
		// once the min interval since the last fetch has passed.
		srv.SetKeys(b)
		time.Sleep(time.Until(loadedAt.Add(minInterval + 50*time.Millisecond)))
		before := srv.Fetches()
		refreshedAt := time.Now()
		mustVerify(t, g, tokB)
		if got := srv.Fetches() - before; got != 1 {
			t.Fatalf("kid B caused %d fetches, want 1", got)
		}
		// A is gone from the set: kid A is now unknown, and within the min
		// interval no further fetch is made for it or any other unknown kid.
		_, err := check(g, tokA)
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		_, err = check(g, mintKid(b, "c"))
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		mustVerify(t, g, tokB)
		if got := srv.Fetches() - before; got != 1 && time.Since(refreshedAt) < minInterval {
			t.Fatalf("%d fetches within the min interval, want 1", got)
		}
		// Still refused after the next permitted refresh.
		time.Sleep(minInterval + 20*time.Millisecond)
		n := srv.Fetches()
		_, err = check(g, tokA)
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		if got := srv.Fetches() - n; got != 1 {
			t.Fatalf("kid A after the min interval caused %d fetches, want 1", got)
		}
	})

	t.Run("overlap A+B then B", func(t *testing.T) {
		t.Parallel()
		a := sgtest.NewKey("RS256", "rot-a")
		b := sgtest.NewKey("EdDSA", "rot-b")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMinRefreshInterval(50*time.Millisecond)))
		ready(t, v, 5*time.Second)
		tokA, tokB := mint(a), mint(b)
		srv.SetKeys(a, b)
		waitFor(t, 3*time.Second, "kid B to verify", func() bool { _, err := check(g, tokB); return err == nil })
		mustVerify(t, g, tokA)
		srv.SetKeys(b)
		// A stays usable until something refreshes the set; once a refresh
		// has happened, A fails.
		_ = triggerRefresh(t, g, srv, b)
		time.Sleep(20 * time.Millisecond)
		_, err := check(g, tokA)
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		mustVerify(t, g, tokB)
	})
}

func TestKeySetUnknownKidFlood(t *testing.T) {
	flood := func(t *testing.T, g *sessionguard.Guard, k *sgtest.Key) {
		t.Helper()
		const n = 200
		toks := make([]string, n)
		for i := range toks {
			toks[i] = mintKid(k, "flood-"+randHex())
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		startGate := make(chan struct{})
		for i := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-startGate
				_, errs[i] = check(g, toks[i])
			}()
		}
		close(startGate)
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, sessionguard.ErrTryRefreshToken) || !errors.Is(err, sessionguard.ErrUnknownKey) {
				t.Fatalf("request %d: %v, want TRY_REFRESH_TOKEN / unknown key", i, err)
			}
		}
	}

	t.Run("default min interval right after load", func(t *testing.T) {
		a := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL())) // default 30 s min interval
		ready(t, v, 5*time.Second)
		before := srv.Fetches()
		flood(t, g, a)
		flood(t, g, a)
		time.Sleep(50 * time.Millisecond)
		if got := srv.Fetches() - before; got > 1 {
			t.Fatalf("400 unknown-kid requests caused %d fetches within the min interval, want at most 1", got)
		}
		mustVerify(t, g, mint(a))
	})

	t.Run("min interval elapsed: single flight", func(t *testing.T) {
		a := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		clk := sgtest.NewClock(time.Now())
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL()), sessionguard.WithClock(clk.Now)) // default 30 s min interval
		ready(t, v, 5*time.Second)
		// The set is stale enough for one unknown-kid refresh; a slow server
		// makes the 200 requests pile up on the same fetch.
		clk.Advance(sessionguard.DefaultMinRefreshInterval + time.Second)
		srv.SetDelay(150 * time.Millisecond)
		before := srv.Fetches()
		flood(t, g, a)
		if got := srv.Fetches() - before; got != 1 {
			t.Fatalf("200 concurrent unknown-kid requests caused %d fetches, want exactly 1", got)
		}
		flood(t, g, a)
		time.Sleep(50 * time.Millisecond)
		if got := srv.Fetches() - before; got != 1 {
			t.Fatalf("a second flood within the min interval caused %d fetches in all, want 1", got)
		}
		mustVerify(t, g, mint(a))
	})
}

func TestKeySetCacheControl(t *testing.T) {
	// Black-box: the refresh schedule as seen by the server. The internal
	// test checks the computed due time exactly.
	const (
		minI   = 80 * time.Millisecond
		maxI   = 200 * time.Millisecond
		window = 650 * time.Millisecond
	)
	// Expected refresh counts in an observation of length d: max-age 0 and
	// no-store refresh every min interval (no hot loop), an absurd max-age
	// every max interval, anything unusable falls back to the periodic
	// interval (10 s: none in the window).
	atMin := func(d time.Duration) (int, int) { return 2, int(d/minI) + 1 }
	atMax := func(d time.Duration) (int, int) { return 1, int(d/maxI) + 1 }
	none := func(time.Duration) (int, int) { return 0, 0 }
	cases := []struct {
		header string
		want   func(time.Duration) (int, int)
	}{
		{"max-age=0", atMin},
		{"no-store", atMin},
		{"no-cache", atMin},
		{"max-age=99999999999", atMax},
		{"max-age=-1", none},
		{"max-age=garbage", none},
		{"max-age=1e9", none},
		{"", none},
	}
	type inst struct {
		srv  *sgtest.JWKSServer
		g    *sessionguard.Guard
		base int64
		t0   time.Time
	}
	a := sgtest.NewKey("ES256", "a")
	insts := make([]inst, len(cases))
	for i, c := range cases {
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		if c.header != "" {
			srv.SetHeader("Cache-Control", c.header)
		}
		// Without a usable max-age the periodic interval (here 10 s)
		// applies, so no refresh happens within the window. For the absurd
		// max-age the max is tightened so that the clamp shows, and the
		// periodic interval set to the min so that ignoring the header
		// (refreshes every 80 ms) would show too.
		interval, maxInterval := 10*time.Second, 10*time.Second
		if c.header == "max-age=99999999999" {
			interval, maxInterval = minI, maxI
		}
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(),
			sessionguard.WithMinRefreshInterval(minI),
			sessionguard.WithRefreshInterval(interval),
			sessionguard.WithMaxRefreshInterval(maxInterval)))
		ready(t, v, 5*time.Second)
		insts[i] = inst{srv: srv, g: g, base: srv.Fetches(), t0: time.Now()}
	}
	time.Sleep(window)
	counts := make([]int, len(insts))
	spans := make([]time.Duration, len(insts))
	for i, in := range insts {
		counts[i] = int(in.srv.Fetches() - in.base)
		spans[i] = time.Since(in.t0)
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("%q", c.header), func(t *testing.T) {
			lo, hi := c.want(spans[i])
			if got := counts[i]; got < lo || got > hi {
				t.Fatalf("Cache-Control %q: %d refreshes in %v, want %d..%d", c.header, got, spans[i], lo, hi)
			}
			mustVerify(t, insts[i].g, mint(a))
		})
	}
}

func TestKeySetClose(t *testing.T) {
	t.Run("stops periodic refresh", func(t *testing.T) {
		a := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		srv.SetHeader("Cache-Control", "max-age=0") // refresh every min interval
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMinRefreshInterval(20*time.Millisecond)))
		ready(t, v, 5*time.Second)
		waitFor(t, 3*time.Second, "periodic refreshes", func() bool { return srv.Fetches() >= 3 })

		t0 := time.Now()
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("Close took %v", d)
		}
		after := srv.Fetches()
		time.Sleep(150 * time.Millisecond)
		// Unknown kids after Close do not fetch either; known ones verify.
		_, err := check(g, mintKid(a, "unknown"))
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		mustVerify(t, g, mint(a))
		if got := srv.Fetches(); got != after {
			t.Fatalf("%d fetches after Close", got-after)
		}
		if err := v.Close(); err != nil { // idempotent
			t.Fatal(err)
		}
	})

	t.Run("no goroutine leak", func(t *testing.T) {
		a := sgtest.NewKey("ES256", "a")
		srv := sgtest.NewJWKSServer(a)
		base := runtime.NumGoroutine()
		var vs []*sessionguard.Verifier
		for i := 0; i < 5; i++ {
			v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, sessionguard.RemoteJWKS(srv.URL(),
				sessionguard.WithMinRefreshInterval(10*time.Millisecond))), quiet)
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		srv.SetHeader("Cache-Control", "no-store")
		for _, v := range vs {
			ready(t, v, 5*time.Second)
		}
		if runtime.NumGoroutine() <= base {
			t.Fatal("no background goroutines were started")
		}
		srv.SetDelay(time.Minute) // leave some fetches hanging at Close
		time.Sleep(30 * time.Millisecond)
		for _, v := range vs {
			_ = v.Close()
		}
		srv.Close() // drops the keep-alive connections and their goroutines
		waitFor(t, 3*time.Second, fmt.Sprintf("goroutines to settle to %d", base), func() bool {
			return runtime.NumGoroutine() <= base
		})
	})
}

func TestKeySetRotationNoStore(t *testing.T) {
	// An issuer that signs with its new key at once and serves its set with
	// Cache-Control: no-store. The first token of the new key must verify at
	// once: the periodic loads (every min interval here) must not use up the
	// budget of the unknown-kid refresh. The budget itself still holds: one
	// unknown-kid refresh per min interval.
	a, b, c := sgtest.NewKey("ES256", "a"), sgtest.NewKey("ES256", "b"), sgtest.NewKey("ES256", "c")
	srv := sgtest.NewJWKSServer(a)
	t.Cleanup(srv.Close)
	srv.SetHeader("Cache-Control", "no-store")
	clk := sgtest.NewClock(time.Now())
	v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL()), sessionguard.WithClock(clk.Now)) // default 30 s min interval
	ready(t, v, 5*time.Second)
	mustVerify(t, g, mint(a))

	srv.SetKeys(a, b)
	before := srv.Fetches()
	t0 := time.Now()
	mustVerify(t, g, mint(b))
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("the first token of the new key took %v", d)
	}
	if got := srv.Fetches() - before; got != 1 {
		t.Fatalf("kid b caused %d fetches, want 1", got)
	}
	srv.SetKeys(a, b, c)
	_, err := check(g, mint(c))
	mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
	if got := srv.Fetches() - before; got != 1 {
		t.Fatalf("a second unknown kid within the min interval fetched (%d fetches)", got)
	}
	clk.Advance(sessionguard.DefaultMinRefreshInterval)
	mustVerify(t, g, mint(c))
	mustVerify(t, g, mint(a))
}
