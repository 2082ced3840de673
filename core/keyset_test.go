package sessionguard_test

// Key-set fault tests (semantics.md §7 and §4 row 9) against an httptest
// JWKS server: an unreachable, slow or misbehaving key server, rotation,
// unknown-kid floods, Cache-Control extremes, caps, the https rule,
// explicit keys and Close. Every wait polls with a deadline; nothing sleeps
// for long.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

const ksIss = "https://issuer.test"

// quiet keeps expected fetch failures out of the test log.
var quiet = sessionguard.WithLogger(slog.New(slog.DiscardHandler))

// newGuard builds a verifier over src for issuer ksIss and returns it with
// a required guard. The verifier is closed when the test ends.
func newGuard(t *testing.T, src *sessionguard.KeySource, opts ...sessionguard.Option) (*sessionguard.Verifier, *sessionguard.Guard) {
	t.Helper()
	opts = append([]sessionguard.Option{sessionguard.WithIssuer(ksIss, src), quiet}, opts...)
	v, err := sessionguard.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	g, err := v.Required()
	if err != nil {
		t.Fatalf("Required: %v", err)
	}
	return v, g
}

func bearer(tok string) sessionguard.MapRequest {
	return sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}
}

func mint(k *sgtest.Key) string { return k.Mint(sgtest.Claims(ksIss, "u1", time.Hour)) }

// mintKid signs with k but names kid in the header.
func mintKid(k *sgtest.Key, kid string) string {
	return k.MintHeader(map[string]any{"alg": k.Alg, "typ": "JWT", "kid": kid}, sgtest.Claims(ksIss, "u1", time.Hour))
}

func check(g *sessionguard.Guard, tok string) (*sessionguard.Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.Check(ctx, bearer(tok))
}

func mustVerify(t *testing.T, g *sessionguard.Guard, tok string) {
	t.Helper()
	s, err := check(g, tok)
	if err != nil || s == nil || s.Subject() != "u1" {
		t.Fatalf("token should verify: session=%v err=%v", s, err)
	}
}

// mustFail checks that err matches every target with errors.Is.
func mustFail(t *testing.T, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error matching %v, got none", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("error %v does not match %v", err, target)
		}
	}
}

func ready(t *testing.T, v *sessionguard.Verifier, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

// notReady asserts that the verifier does not become ready within d.
func notReady(t *testing.T, v *sessionguard.Verifier, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := v.Ready(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ready = %v, want the key set not loaded", err)
	}
}

// settle is how long a fetch that has reached the server is given to be
// read and judged before a test concludes it changed nothing.
const settle = 200 * time.Millisecond

// waitFor polls cond every few ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// triggerRefresh sends unknown-kid tokens until the server has seen a new
// fetch (the min refresh interval of the source must be short), and returns
// the last outcome.
func triggerRefresh(t *testing.T, g *sessionguard.Guard, srv *sgtest.JWKSServer, k *sgtest.Key) error {
	t.Helper()
	before := srv.Fetches()
	var err error
	waitFor(t, 5*time.Second, "an unknown-kid refresh", func() bool {
		_, err = check(g, mintKid(k, "unknown-"+randHex()))
		return srv.Fetches() > before
	})
	return err
}

func randHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

// padJWKS returns doc padded with trailing JSON whitespace to n bytes.
func padJWKS(t *testing.T, doc []byte, n int) []byte {
	t.Helper()
	if len(doc) > n {
		t.Fatalf("document is %d bytes, more than %d", len(doc), n)
	}
	return append(append([]byte(nil), doc...), bytes.Repeat([]byte(" "), n-len(doc))...)
}

// jwksOf builds a JWK Set document from raw JWK maps.
func jwksOf(keys ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

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

// garbageCases are responses that must never replace (or become) the key set.
// The otherwise valid ones carry other's key only, so that wrongly accepting
// one shows: the tokens of the previous set would stop verifying.
func garbageCases(t *testing.T, other *sgtest.Key, maxBody int) []struct {
	name   string
	status int
	body   []byte
} {
	weak := sgtest.NewWeakRSAKey(1024, "weak")
	hs := sgtest.NewKey("HS256", "hs")
	enc := sgtest.NewKey("ES256", "enc").JWK()
	enc["use"] = "enc"
	noneAlg := sgtest.NewKey("ES256", "na").JWK()
	noneAlg["alg"] = "none"
	hsAlg := sgtest.NewKey("ES256", "hsalg").JWK()
	hsAlg["alg"] = "HS256"
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p224JWK := map[string]any{"kty": "EC", "crv": "P-224", "kid": "p224",
		"x": base64.RawURLEncoding.EncodeToString(p224.X.FillBytes(make([]byte, 28))),
		"y": base64.RawURLEncoding.EncodeToString(p224.Y.FillBytes(make([]byte, 28)))}
	otherDoc := sgtest.JWKS(other)
	return []struct {
		name   string
		status int
		body   []byte
	}{
		{"not JSON", 200, []byte("this is not json")},
		{"empty body", 200, nil},
		{"truncated JSON", 200, otherDoc[:len(otherDoc)/2]},
		{"JSON array", 200, []byte(`[{"kty":"EC"}]`)},
		{"JSON without keys", 200, []byte(`{"kty":"EC","crv":"P-256"}`)},
		{"keys null", 200, []byte(`{"keys":null}`)},
		{"keys not an array", 200, []byte(`{"keys":"abc"}`)},
		{"keys empty", 200, []byte(`{"keys":[]}`)},
		{"keys all malformed", 200, []byte(`{"keys":[1,"x",{},{"kty":"RSA"},{"kty":"EC","crv":"P-256","x":"!!","y":"??"}]}`)},
		{"keys all unusable", 200, jwksOf(weak.JWK(), hs.JWK(), enc, noneAlg, hsAlg, p224JWK,
			map[string]any{"kty": "XYZ", "kid": "odd"})},
		{"HTML page 200", 200, []byte("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>")},
		{"HTML error page 500", 500, []byte("<html><body><h1>500 Internal Server Error</h1></body></html>")},
		{"HTML error page 502", 502, []byte("<html><body>Bad Gateway</body></html>")},
		{"valid set with status 404", 404, otherDoc},
		{"valid set with status 204", 204, otherDoc},
		{"oversize valid set", 200, padJWKS(t, otherDoc, maxBody+1)},
	}
}

func TestKeySetGarbageBodies(t *testing.T) {
	const maxBody = 4096
	a := sgtest.NewKey("ES256", "a")
	cases := garbageCases(t, sgtest.NewKey("ES256", "b"), maxBody)

	// At start: every case gets its own server and verifier; all first
	// fetches run together, then each case is judged in its own subtest.
	type inst struct {
		srv *sgtest.JWKSServer
		v   *sessionguard.Verifier
		g   *sessionguard.Guard
	}
	insts := make([]inst, len(cases))
	for i, c := range cases {
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		srv.SetStatus(c.status)
		srv.SetBody(c.body)
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxBodySize(maxBody)))
		insts[i] = inst{srv, v, g}
	}
	for _, in := range insts {
		waitFor(t, 2*time.Second, "the first fetch", func() bool { return in.srv.Fetches() >= 1 })
	}
	time.Sleep(settle)
	for i, c := range cases {
		in := insts[i]
		t.Run("at start/"+c.name, func(t *testing.T) {
			_, err := check(in.g, mint(a))
			mustFail(t, err, sessionguard.ErrKeysUnavailable)
			notReady(t, in.v, 20*time.Millisecond)
		})
	}

	for _, c := range cases {
		t.Run("after load/"+c.name, func(t *testing.T) {
			t.Parallel()
			srv := sgtest.NewJWKSServer(a)
			t.Cleanup(srv.Close)
			v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxBodySize(maxBody),
				sessionguard.WithMinRefreshInterval(30*time.Millisecond)))
			ready(t, v, 5*time.Second)
			good := mint(a)
			mustVerify(t, g, good)
			srv.SetStatus(c.status)
			srv.SetBody(c.body)
			err := triggerRefresh(t, g, srv, a)
			mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
			// Let the failed refresh settle, then: the last good set is kept.
			time.Sleep(20 * time.Millisecond)
			mustVerify(t, g, good)
			// And a second failing refresh changes nothing either.
			_ = triggerRefresh(t, g, srv, a)
			mustVerify(t, g, good)
		})
	}
}

func TestKeySetBodyCap(t *testing.T) {
	a := sgtest.NewKey("ES256", "a")
	doc := sgtest.JWKS(a)

	t.Run("2 KiB set over a 1 KiB cap is rejected", func(t *testing.T) {
		t.Parallel()
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		srv.SetBody(padJWKS(t, doc, 2048))
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxBodySize(1024)))
		waitFor(t, 2*time.Second, "the first fetch", func() bool { return srv.Fetches() >= 1 })
		notReady(t, v, settle)
		_, err := check(g, mint(a))
		mustFail(t, err, sessionguard.ErrKeysUnavailable)
	})

	t.Run("2 KiB of real keys over a 1 KiB cap is rejected", func(t *testing.T) {
		t.Parallel()
		keys := []*sgtest.Key{a}
		for i := 0; len(sgtest.JWKS(keys...)) < 2048; i++ {
			keys = append(keys, sgtest.NewKey("ES512", fmt.Sprintf("p521-%d", i)))
		}
		srv := sgtest.NewJWKSServer(keys...)
		t.Cleanup(srv.Close)
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxBodySize(1024)))
		waitFor(t, 2*time.Second, "the first fetch", func() bool { return srv.Fetches() >= 1 })
		notReady(t, v, settle)
		_, err := check(g, mint(a))
		mustFail(t, err, sessionguard.ErrKeysUnavailable)
	})

	t.Run("exactly the cap is accepted", func(t *testing.T) {
		t.Parallel()
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		srv.SetBody(padJWKS(t, doc, 1024))
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxBodySize(1024)))
		ready(t, v, 5*time.Second)
		mustVerify(t, g, mint(a))
	})

	t.Run("one byte over the cap is rejected", func(t *testing.T) {
		t.Parallel()
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		srv.SetBody(padJWKS(t, doc, 1025))
		v, _ := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxBodySize(1024)))
		waitFor(t, 2*time.Second, "the first fetch", func() bool { return srv.Fetches() >= 1 })
		notReady(t, v, settle)
	})

	t.Run("default cap 1 MiB", func(t *testing.T) {
		t.Parallel()
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		srv.SetBody(padJWKS(t, doc, sessionguard.DefaultMaxBodySize+1))
		v, _ := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		waitFor(t, 2*time.Second, "the first fetch", func() bool { return srv.Fetches() >= 1 })
		notReady(t, v, settle)
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

// fakeClock is a goroutine-safe clock that tests move by hand.
type fakeClock struct{ off atomic.Int64 }

func (c *fakeClock) now() time.Time              { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *fakeClock) advance(d time.Duration)     { c.off.Add(int64(d)) }
func (c *fakeClock) option() sessionguard.Option { return sessionguard.WithClock(c.now) }

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
		clk := &fakeClock{}
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL()), clk.option()) // default 30 s min interval
		ready(t, v, 5*time.Second)
		// The set is stale enough for one unknown-kid refresh; a slow server
		// makes the 200 requests pile up on the same fetch.
		clk.advance(sessionguard.DefaultMinRefreshInterval + time.Second)
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

func TestKeySetHTTPSOnly(t *testing.T) {
	a := sgtest.NewKey("ES256", "a")
	srv := sgtest.NewJWKSServer(a)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	newV := func(src *sessionguard.KeySource) (*sessionguard.Verifier, error) {
		v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, src), quiet)
		if err == nil {
			t.Cleanup(func() { _ = v.Close() })
		}
		return v, err
	}

	for _, u := range []string{
		"http://example.com/jwks",
		"http://example.com:80/jwks",
		"HTTP://example.com/jwks",
		"http://10.0.0.1/jwks",
		"http://127.0.0.1.nip.io/jwks",
		"http://localhost.example.com/jwks",
		"ftp://127.0.0.1/jwks",
		"file:///etc/jwks.json",
		"/jwks.json",
		"//example.com/jwks",
		"http:///jwks",
		"://bad",
	} {
		t.Run("refused "+u, func(t *testing.T) {
			if _, err := newV(sessionguard.RemoteJWKS(u)); err == nil {
				t.Fatalf("New accepted %q", u)
			}
		})
	}
	for _, u := range []string{
		"http://127.0.0.1:" + port + "/jwks.json",
		"http://localhost:" + port + "/jwks.json",
		"http://LOCALHOST:" + port + "/jwks.json",
		"http://[::1]:" + port + "/jwks.json",
		"http://127.0.0.2:1/jwks.json",
		"https://example.com/jwks",
	} {
		t.Run("allowed "+u, func(t *testing.T) {
			if _, err := newV(sessionguard.RemoteJWKS(u, sessionguard.WithHTTPClient(noNetworkClient(nil)))); err != nil {
				t.Fatalf("New refused %q: %v", u, err)
			}
		})
	}
	t.Run("loopback set loads", func(t *testing.T) {
		t.Parallel()
		v, err := newV(sessionguard.RemoteJWKS("http://localhost:" + port + "/jwks.json"))
		if err != nil {
			t.Fatal(err)
		}
		ready(t, v, 5*time.Second)
	})

	t.Run("WithInsecureHTTP allows plain http elsewhere", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int64
		client := noNetworkClient(func(r *http.Request) (*http.Response, error) {
			if r.URL.Host != "jwks.example.com" {
				return nil, errors.New("unexpected host")
			}
			hits.Add(1)
			return jsonResponse(r, sgtest.JWKS(a)), nil
		})
		if _, err := newV(sessionguard.RemoteJWKS("http://jwks.example.com/keys", sessionguard.WithHTTPClient(client))); err == nil {
			t.Fatal("plain http accepted without WithInsecureHTTP")
		}
		v, err := newV(sessionguard.RemoteJWKS("http://jwks.example.com/keys",
			sessionguard.WithInsecureHTTP(), sessionguard.WithHTTPClient(client)))
		if err != nil {
			t.Fatal(err)
		}
		ready(t, v, 5*time.Second)
		if hits.Load() == 0 {
			t.Fatal("the insecure URL was never fetched")
		}
		g, _ := v.Required()
		mustVerify(t, g, mint(a))
	})

	redirectTo := func(t *testing.T, location string) *sgtest.JWKSServer {
		t.Helper()
		r := sgtest.NewJWKSServer()
		t.Cleanup(r.Close)
		r.SetStatus(http.StatusFound)
		r.SetHeader("Location", location)
		r.SetBody(nil)
		return r
	}

	t.Run("redirect to non-loopback http refused (default client)", func(t *testing.T) {
		t.Parallel()
		// CheckRedirect refuses before any connection, so no network is used.
		r := redirectTo(t, "http://example.com/jwks")
		v, err := newV(sessionguard.RemoteJWKS(r.URL()))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "the first fetch", func() bool { return r.Fetches() >= 1 })
		notReady(t, v, settle)
		g, _ := v.Required()
		_, err = check(g, mint(a))
		mustFail(t, err, sessionguard.ErrKeysUnavailable)
	})

	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprintf("redirect %d to non-loopback http refused (own client)", code), func(t *testing.T) {
			t.Parallel()
			// The client would happily serve a valid set for example.com:
			// only the https rule on redirects stops it.
			var evil atomic.Int64
			var ownPolicy atomic.Int64
			client := noNetworkClient(func(r *http.Request) (*http.Response, error) {
				if r.URL.Hostname() == "example.com" {
					evil.Add(1)
					return jsonResponse(r, sgtest.JWKS(a)), nil
				}
				return http.DefaultTransport.RoundTrip(r)
			})
			client.CheckRedirect = func(*http.Request, []*http.Request) error { ownPolicy.Add(1); return nil }
			r := redirectTo(t, "http://example.com/jwks")
			r.SetStatus(code)
			v, err := newV(sessionguard.RemoteJWKS(r.URL(), sessionguard.WithHTTPClient(client)))
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 2*time.Second, "the first fetch", func() bool { return r.Fetches() >= 1 })
			notReady(t, v, settle)
			if evil.Load() != 0 {
				t.Fatalf("the redirect to plain http was followed %d times", evil.Load())
			}
			if ownPolicy.Load() != 0 {
				t.Fatal("the user's CheckRedirect ran before the https rule")
			}
		})
	}

	t.Run("redirect within loopback followed", func(t *testing.T) {
		t.Parallel()
		r := redirectTo(t, srv.URL())
		v, err := newV(sessionguard.RemoteJWKS(r.URL()))
		if err != nil {
			t.Fatal(err)
		}
		ready(t, v, 5*time.Second)
	})

	t.Run("redirect to https followed", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int64
		client := noNetworkClient(func(r *http.Request) (*http.Response, error) {
			if r.URL.Scheme == "https" && r.URL.Hostname() == "keys.example.com" {
				hits.Add(1)
				return jsonResponse(r, sgtest.JWKS(a)), nil
			}
			return http.DefaultTransport.RoundTrip(r)
		})
		r := redirectTo(t, "https://keys.example.com/jwks")
		v, err := newV(sessionguard.RemoteJWKS(r.URL(), sessionguard.WithHTTPClient(client)))
		if err != nil {
			t.Fatal(err)
		}
		ready(t, v, 5*time.Second)
		if hits.Load() == 0 {
			t.Fatal("not fetched through the https redirect")
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// noNetworkClient is a client whose transport is rt, or one that refuses
// everything when rt is nil: tests never reach the real network.
func noNetworkClient(rt roundTripFunc) *http.Client {
	if rt == nil {
		rt = func(*http.Request) (*http.Response, error) { return nil, errors.New("no network in tests") }
	}
	return &http.Client{Transport: rt}
}

func jsonResponse(r *http.Request, body []byte) *http.Response {
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: r}
}

func TestKeySetMaxKeys(t *testing.T) {
	k1, k2, k3 := sgtest.NewKey("ES256", "k1"), sgtest.NewKey("ES256", "k2"), sgtest.NewKey("ES256", "k3")
	srv := sgtest.NewJWKSServer(k1, k2, k3)
	t.Cleanup(srv.Close)

	t.Run("third key beyond WithMaxKeys(2) is unknown", func(t *testing.T) {
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxKeys(2)))
		ready(t, v, 5*time.Second)
		mustVerify(t, g, mint(k1))
		mustVerify(t, g, mint(k2))
		_, err := check(g, mint(k3))
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
	})
	t.Run("all three within the default cap", func(t *testing.T) {
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		ready(t, v, 5*time.Second)
		mustVerify(t, g, mint(k3))
	})
	t.Run("invalid remote options refused by New", func(t *testing.T) {
		for i, o := range []sessionguard.RemoteOption{
			sessionguard.WithMaxKeys(0), sessionguard.WithMaxKeys(-1),
			sessionguard.WithMaxBodySize(0), sessionguard.WithFetchTimeout(0),
			sessionguard.WithMinRefreshInterval(0), sessionguard.WithMinRefreshInterval(time.Hour),
			sessionguard.WithMaxRefreshInterval(time.Second),
		} {
			if v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, sessionguard.RemoteJWKS(srv.URL(), o)), quiet); err == nil {
				_ = v.Close()
				t.Fatalf("option %d accepted", i)
			}
		}
	})
}

func TestKeySetExplicitKeys(t *testing.T) {
	newErr := func(src *sessionguard.KeySource) error {
		v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, src), quiet)
		if err == nil {
			_ = v.Close()
		}
		return err
	}

	t.Run("PublicKeys RSA 1024 refused", func(t *testing.T) {
		weak := sgtest.NewWeakRSAKey(1024, "weak")
		if newErr(sessionguard.PublicKeys(sessionguard.PublicKey{ID: "weak", Key: weak.Public()})) == nil {
			t.Fatal("1024-bit RSA key accepted")
		}
	})
	t.Run("PublicKeys empty, P-224, private key, mismatched alg refused", func(t *testing.T) {
		p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
		es := sgtest.NewKey("ES256", "es")
		for i, src := range []*sessionguard.KeySource{
			sessionguard.PublicKeys(),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: &p224.PublicKey}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: es.Signer}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: es.Public(), Algorithm: "RS256"}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: es.Public(), Algorithm: "HS256"}),
			sessionguard.PublicKeys(sessionguard.PublicKey{Key: nil}),
		} {
			if newErr(src) == nil {
				t.Fatalf("source %d accepted", i)
			}
		}
	})
	t.Run("PublicKeys verify", func(t *testing.T) {
		k := sgtest.NewKey("RS256", "rsa")
		_, g := newGuard(t, sessionguard.PublicKeys(sessionguard.PublicKey{ID: "rsa", Algorithm: "RS256", Key: k.Public()}))
		mustVerify(t, g, mint(k))
	})
	t.Run("StaticJWKS with no usable key refused", func(t *testing.T) {
		weak := sgtest.NewWeakRSAKey(1024, "weak")
		hs := sgtest.NewKey("HS256", "hs")
		for i, doc := range [][]byte{
			sgtest.JWKS(weak, hs),
			[]byte(`{"keys":[]}`),
			[]byte(`{}`),
			[]byte(`not json`),
			nil,
		} {
			if newErr(sessionguard.StaticJWKS(doc)) == nil {
				t.Fatalf("document %d accepted", i)
			}
		}
	})
	t.Run("StaticJWKS ignores oct and weak keys", func(t *testing.T) {
		weak := sgtest.NewWeakRSAKey(1024, "weak")
		hs := sgtest.NewKey("HS256", "hs")
		es := sgtest.NewKey("ES256", "es")
		v, g := newGuard(t, sessionguard.StaticJWKS(sgtest.JWKS(weak, hs, es)))
		ready(t, v, time.Second)
		mustVerify(t, g, mint(es))
		_, err := check(g, mint(weak))
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
		// HS256 is not allowed without an HMACSecret: the token is not ours.
		_, err = check(g, mint(hs))
		mustFail(t, err, sessionguard.ErrUnauthorised, sessionguard.ErrNoToken)
	})
	t.Run("HMACSecret shorter than 32 bytes refused", func(t *testing.T) {
		for _, n := range []int{0, 1, 16, 31} {
			if newErr(sessionguard.HMACSecret("", "HS256", make([]byte, n))) == nil {
				t.Fatalf("%d-byte secret accepted", n)
			}
		}
		if newErr(sessionguard.HMACSecret("", "RS256", make([]byte, 32))) == nil {
			t.Fatal("HMACSecret with alg RS256 accepted")
		}
		if err := newErr(sessionguard.HMACSecret("", "HS256", bytes.Repeat([]byte{7}, 32))); err != nil {
			t.Fatalf("32-byte secret refused: %v", err)
		}
	})
	t.Run("HS256 verifies only with HMACSecret", func(t *testing.T) {
		hs := sgtest.NewKey("HS256", "hs")
		tok := mint(hs)
		v, g := newGuard(t, sessionguard.HMACSecret("hs", "HS256", hs.Secret))
		ready(t, v, time.Second)
		mustVerify(t, g, tok)

		// A different secret: signature failure.
		_, g2 := newGuard(t, sessionguard.HMACSecret("hs", "HS256", bytes.Repeat([]byte{1}, 32)))
		_, err := check(g2, tok)
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrSignatureInvalid)

		// Asymmetric sources, even holding the secret as an oct JWK: the
		// HS256 token is not ours.
		es := sgtest.NewKey("ES256", "es")
		for name, src := range map[string]*sessionguard.KeySource{
			"static with oct": sessionguard.StaticJWKS(sgtest.JWKS(hs, es)),
			"public keys":     sessionguard.PublicKeys(sessionguard.PublicKey{ID: "es", Key: es.Public()}),
		} {
			_, g := newGuard(t, src)
			_, err := check(g, tok)
			if !errors.Is(err, sessionguard.ErrUnauthorised) || !errors.Is(err, sessionguard.ErrNoToken) {
				t.Fatalf("%s: HS256 token gave %v", name, err)
			}
		}
		// A remote set with the oct key: ignored too.
		srv := sgtest.NewJWKSServer(hs, es)
		t.Cleanup(srv.Close)
		v3, g3 := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		ready(t, v3, 5*time.Second)
		_, err = check(g3, tok)
		mustFail(t, err, sessionguard.ErrUnauthorised, sessionguard.ErrNoToken)
		// Even if HS256 is forced on for an asymmetric source, New refuses.
		if _, err := sessionguard.New(sessionguard.WithIssuer(ksIss, sessionguard.StaticJWKS(sgtest.JWKS(es))),
			sessionguard.WithAlgorithms("HS256"), quiet); err == nil {
			t.Fatal("HS256 allowed without an HMACSecret")
		}
	})
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
