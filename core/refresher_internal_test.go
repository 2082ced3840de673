package sessionguard

// Internal tests of the refresher (refresher.go): the computed refresh
// schedule (Cache-Control clamping, first-load backoff, the unknown-kid
// budget) read straight from the refresher, with a hand-moved clock so that
// nothing waits on real time.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/core/sgtest"
)

func remoteRefresher(t *testing.T, v *Verifier) *refresher {
	t.Helper()
	for _, st := range v.stores {
		if st.remote != nil {
			return st.remote
		}
	}
	t.Fatal("no remote source")
	return nil
}

// schedule returns the fetcher's due time, backoff and whether a fetch is
// in flight.
func schedule(f *refresher) (due time.Time, backoff time.Duration, busy bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.due, f.backoff, f.cur != nil
}

// waitFetches waits until the fetcher has finished n fetches.
func waitFetches(t *testing.T, f *refresher, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, busy := schedule(f)
		if f.loads.Load() >= n && !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for fetch %d (have %d)", n, f.loads.Load())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestRefreshScheduleCacheControl(t *testing.T) {
	const (
		minI = time.Minute
		defI = 10 * time.Minute
		maxI = time.Hour
	)
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", defI},
		{"max-age=0", minI},
		{"no-store", minI},
		{"no-cache", minI},
		{"max-age=1", minI},
		{"max-age=120", 2 * time.Minute},
		{"max-age=3600", maxI},
		{"max-age=86400000", maxI},
		{"max-age=99999999999", maxI},
		{"max-age=9223372036854775807", maxI},
		{"max-age=-5", defI},
		{"max-age=garbage", defI},
		{"private, max-age=300", 5 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.header, func(t *testing.T) {
			t.Parallel()
			k := sgtest.NewKey("ES256", "a")
			srv := sgtest.NewJWKSServer(k)
			t.Cleanup(srv.Close)
			if c.header != "" {
				srv.SetHeader("Cache-Control", c.header)
			}
			clk := sgtest.NewClock(time.Now())
			v, err := New(WithIssuer("iss", RemoteJWKS(srv.URL(),
				WithMinRefreshInterval(minI), WithRefreshInterval(defI), WithMaxRefreshInterval(maxI))),
				WithClock(clk.Now), WithLogger(quietLogger()))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = v.Close() })
			f := remoteRefresher(t, v)
			waitFetches(t, f, 1)
			due, _, _ := schedule(f)
			if got := due.Sub(clk.Now()); got != c.want {
				t.Fatalf("Cache-Control %q: next refresh in %v, want %v", c.header, got, c.want)
			}
			if got := due.Sub(clk.Now()); got < minI || got > maxI {
				t.Fatalf("next refresh in %v, outside [%v, %v]", got, minI, maxI)
			}
		})
	}
}

func TestRefreshScheduleFirstFetchBackoff(t *testing.T) {
	k := sgtest.NewKey("ES256", "a")
	srv := sgtest.NewJWKSServer(k)
	t.Cleanup(srv.Close)
	srv.SetStatus(http.StatusServiceUnavailable)
	clk := sgtest.NewClock(time.Now())
	v, err := New(WithIssuer("iss", RemoteJWKS(srv.URL(), WithMinRefreshInterval(50*time.Millisecond))),
		WithClock(clk.Now), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	f := remoteRefresher(t, v)

	// Failed first fetches back off 1 s, 2 s, 4 s ... capped at 30 s; the
	// periodic interval (15 min) is never used before the first load.
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i, w := range want {
		waitFetches(t, f, int64(i+1))
		due, _, _ := schedule(f)
		if got := due.Sub(clk.Now()); got != w*time.Second {
			t.Fatalf("after failure %d: retry in %v, want %v", i+1, got, w*time.Second)
		}
		if v.stores[0].current() != nil {
			t.Fatal("a failed fetch loaded a set")
		}
		if i == len(want)-1 {
			srv.SetStatus(http.StatusOK) // the next retry succeeds
		}
		clk.Advance(w * time.Second)
		f.wake <- struct{}{} // re-evaluate the timer against the moved clock
	}
	waitFetches(t, f, int64(len(want)+1))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("not ready after the server recovered: %v", err)
	}
	due, backoff, _ := schedule(f)
	if got := due.Sub(clk.Now()); got != DefaultRefreshInterval {
		t.Fatalf("after load: next refresh in %v, want %v", got, DefaultRefreshInterval)
	}
	if backoff != firstFetchBackoff {
		t.Fatalf("backoff not reset after load: %v", backoff)
	}

	// A failure once loaded keeps the set and retries at the min interval.
	srv.SetStatus(http.StatusInternalServerError)
	n := f.loads.Load()
	clk.Advance(DefaultRefreshInterval)
	f.wake <- struct{}{}
	waitFetches(t, f, n+1)
	due, _, _ = schedule(f)
	if got := due.Sub(clk.Now()); got != 50*time.Millisecond {
		t.Fatalf("after a failed refresh: retry in %v, want the min interval", got)
	}
	if v.stores[0].current() == nil {
		t.Fatal("a failed refresh dropped the set")
	}
}

// refresherGoroutines counts the goroutines running a method of f (stack
// frames print the receiver's address).
func refresherGoroutines(f *refresher) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	frame := fmt.Sprintf("core.(*refresher).%%s(%p", f)
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, m := range []string{"run", "loadOnce", "guardedLoad"} {
			if strings.Contains(g, fmt.Sprintf(frame, m)) {
				n++
				break
			}
		}
	}
	return n
}

// slowTeardown is a transport whose requests, once cancelled, take a while
// to return, as a real one can when a connection is slow to close: a fetch
// then outlives the cancellation by that much.
type slowTeardown struct{ delay time.Duration }

func (s slowTeardown) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if r.Context().Err() != nil {
		time.Sleep(s.delay)
	}
	return resp, err
}

func TestCloseWaitsForFetches(t *testing.T) {
	k := sgtest.NewKey("ES256", "a")
	srv := sgtest.NewJWKSServer(k)
	t.Cleanup(srv.Close)
	v, err := New(WithIssuer("iss", RemoteJWKS(srv.URL(), WithMinRefreshInterval(10*time.Millisecond),
		WithHTTPClient(&http.Client{Transport: slowTeardown{100 * time.Millisecond}}))),
		WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	// A refresh hangs on the server when Close is called.
	srv.SetDelay(time.Minute)
	f := remoteRefresher(t, v)
	before := srv.Fetches()
	time.Sleep(15 * time.Millisecond)
	if fl := f.start(v.bg, false); fl == nil {
		t.Fatal("refresh not started")
	}
	deadline := time.Now().Add(2 * time.Second)
	for srv.Fetches() == before {
		if time.Now().After(deadline) {
			t.Fatal("the refresh did not reach the server")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if n := refresherGoroutines(f); n != 2 {
		t.Fatalf("want the run loop and the fetch running, have %d fetcher goroutines", n)
	}
	t0 := time.Now()
	_ = v.Close()
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	// Close "waits for them to end": no fetcher goroutine is left.
	if n := refresherGoroutines(f); n != 0 {
		t.Fatalf("%d fetcher goroutines still running after Close returned", n)
	}
	// And no new fetch starts after Close, even once the min interval has
	// passed.
	time.Sleep(20 * time.Millisecond)
	if fl := f.start(v.bg, false); fl != nil {
		<-fl.done
		t.Fatal("a fetch started after Close")
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoadFailureLogging(t *testing.T) {
	// The first failure of a run is logged at Warn, retries at Debug; the
	// line names the redacted URL and the class, never the server's words,
	// credentials in the URL or a token.
	srv := sgtest.NewJWKSServer()
	t.Cleanup(srv.Close)
	srv.SetStatus(http.StatusServiceUnavailable)
	srv.SetBody([]byte(`{"error":"server-secret-text"}`))
	u := strings.Replace(srv.URL(), "http://", "http://user:hunter2@", 1) + "?access_token=tok-secret"
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := sgtest.NewClock(time.Now())
	v, err := New(WithIssuer("iss", RemoteJWKS(u)), WithClock(clk.Now), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	f := remoteRefresher(t, v)
	waitFetches(t, f, 1)
	clk.Advance(firstFetchBackoff)
	f.wake <- struct{}{}
	waitFetches(t, f, 2)

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "sessionguard: key set load failed" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("want 2 failure lines, have %d:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"WARN", "DEBUG"} {
		m := lines[i]
		if m["level"] != want || m["error"] != "JWKS fetch: HTTP status 503" || m["source"] != srv.URL() {
			t.Fatalf("failure %d logged as %v", i+1, m)
		}
	}
	for _, secret := range []string{"hunter2", "tok-secret", "server-secret-text"} {
		if strings.Contains(buf.String(), secret) {
			t.Fatalf("the log holds %q:\n%s", secret, buf.String())
		}
	}
}

// ageLoader is a KeyLoader that reports a fixed max age.
type ageLoader struct {
	key    *sgtest.Key
	maxAge time.Duration
}

func (l ageLoader) LoadKeys(context.Context) ([]PublicKey, time.Duration, error) {
	return []PublicKey{{ID: l.key.ID, Key: l.key.Public()}}, l.maxAge, nil
}

func TestRefreshScheduleKeyLoader(t *testing.T) {
	// A loader's max age: 0 or negative is the refresh interval, a positive
	// one is clamped to [min, max] as Cache-Control is.
	const (
		minI = time.Minute
		defI = 10 * time.Minute
		maxI = time.Hour
	)
	k := sgtest.NewKey("ES256", "a")
	for _, c := range []struct{ age, want time.Duration }{
		{0, defI}, {-time.Second, defI}, {time.Second, minI}, {2 * time.Minute, 2 * time.Minute}, {48 * time.Hour, maxI},
	} {
		clk := sgtest.NewClock(time.Now())
		v, err := New(WithIssuer("iss", FromLoader(ageLoader{k, c.age},
			WithMinRefreshInterval(minI), WithRefreshInterval(defI), WithMaxRefreshInterval(maxI))),
			WithClock(clk.Now), WithLogger(quietLogger()))
		if err != nil {
			t.Fatal(err)
		}
		f := remoteRefresher(t, v)
		waitFetches(t, f, 1)
		due, _, _ := schedule(f)
		if got := due.Sub(clk.Now()); got != c.want {
			t.Errorf("max age %v: next load in %v, want %v", c.age, got, c.want)
		}
		_ = v.Close()
	}
}

func TestUnknownKidBudgetIgnoresPeriodicLoads(t *testing.T) {
	// With no-store the periodic load runs every min interval. One has just
	// run when the issuer rotates: the first token of the new key must
	// still get its refresh (it used to wait for the next periodic load).
	a, b := sgtest.NewKey("ES256", "a"), sgtest.NewKey("ES256", "b")
	srv := sgtest.NewJWKSServer(a)
	t.Cleanup(srv.Close)
	srv.SetHeader("Cache-Control", "no-store")
	clk := sgtest.NewClock(time.Now())
	v, err := New(WithIssuer("iss", RemoteJWKS(srv.URL())), WithClock(clk.Now), WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	f := remoteRefresher(t, v)
	waitFetches(t, f, 1)
	for i := range 3 { // periodic loads, each at the min interval
		due, _, _ := schedule(f)
		if got := due.Sub(clk.Now()); got != DefaultMinRefreshInterval {
			t.Fatalf("no-store: next load in %v, want the min interval", got)
		}
		clk.Advance(DefaultMinRefreshInterval)
		f.wake <- struct{}{}
		waitFetches(t, f, int64(i+2))
	}
	srv.SetKeys(a, b)
	g, _ := v.Required()
	tok := b.Mint(sgtest.Claims("iss", "u1", time.Hour))
	s, err := g.Check(context.Background(), MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil || s == nil {
		t.Fatalf("the new key's token right after a periodic load: %v", err)
	}
	if n := f.loads.Load(); n != 5 {
		t.Fatalf("%d loads, want 5 (1 first, 3 periodic, 1 for the unknown kid)", n)
	}
}
