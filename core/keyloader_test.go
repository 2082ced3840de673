package sessionguard_test

// Key loader tests (FromLoader in keysource.go, keyloader.go, scheduled by
// refresher.go): an application's own KeyLoader gets the scheduler of a
// remote JWKS — first load in the background, refresh on an unknown kid,
// last good set kept on failure, Ready, Close — and its keys are judged like
// those of a JWK Set.

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// fakeLoader is a KeyLoader whose keys, error and latency tests change while
// it runs. It counts calls.
type fakeLoader struct {
	mu     sync.Mutex
	keys   []sessionguard.PublicKey
	err    error
	maxAge time.Duration
	gate   chan struct{} // when set, LoadKeys waits for it (or ctx)
	panic  bool
	calls  atomic.Int64
	ctxErr atomic.Value // error: ctx.Err() seen by the last call, once it ended
}

func newFakeLoader(keys ...*sgtest.Key) *fakeLoader {
	l := &fakeLoader{}
	l.set(keys...)
	return l
}

func publicKeys(keys ...*sgtest.Key) []sessionguard.PublicKey {
	out := make([]sessionguard.PublicKey, 0, len(keys))
	for _, k := range keys {
		out = append(out, sessionguard.PublicKey{ID: k.ID, Algorithm: k.Alg, Key: k.Public()})
	}
	return out
}

func (l *fakeLoader) set(keys ...*sgtest.Key) {
	l.mu.Lock()
	l.keys, l.err = publicKeys(keys...), nil
	l.mu.Unlock()
}

func (l *fakeLoader) fail(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
}

func (l *fakeLoader) LoadKeys(ctx context.Context) ([]sessionguard.PublicKey, time.Duration, error) {
	l.calls.Add(1)
	l.mu.Lock()
	keys, err, maxAge, gate, panics := l.keys, l.err, l.maxAge, l.gate, l.panic
	l.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			l.ctxErr.Store(ctx.Err())
			return nil, 0, ctx.Err()
		}
	}
	if panics {
		panic("loader bug")
	}
	return keys, maxAge, err
}

func TestKeyLoaderLoads(t *testing.T) {
	a := sgtest.NewKey("ES256", "a")
	l := newFakeLoader(a)
	v, g := newGuard(t, sessionguard.FromLoader(l))
	ready(t, v, 5*time.Second)
	mustVerify(t, g, mint(a))
	if n := l.calls.Load(); n != 1 {
		t.Fatalf("LoadKeys called %d times, want 1", n)
	}
}

func TestKeyLoaderUnavailableUntilFirstLoad(t *testing.T) {
	a := sgtest.NewKey("EdDSA", "a")
	l := newFakeLoader(a)
	l.gate = make(chan struct{})
	v, g := newGuard(t, sessionguard.FromLoader(l))
	_, err := check(g, mint(a))
	mustFail(t, err, sessionguard.ErrKeysUnavailable, sessionguard.ErrKeySetNotLoaded)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = v.Ready(ctx)
	mustFail(t, err, context.DeadlineExceeded, sessionguard.ErrKeySetNotLoaded)
	if want := `sessionguard: key set of issuer "` + ksIss + `" not loaded: the first load has not finished`; err.Error() != want {
		t.Fatalf("Ready = %q, want %q", err, want)
	}
	close(l.gate)
	ready(t, v, 5*time.Second)
	mustVerify(t, g, mint(a))
}

func TestKeyLoaderRefreshOnUnknownKid(t *testing.T) {
	a, b := sgtest.NewKey("ES256", "a"), sgtest.NewKey("RS256", "b")
	l := newFakeLoader(a)
	clk := sgtest.NewClock(time.Now())
	v, g := newGuard(t, sessionguard.FromLoader(l), sessionguard.WithClock(clk.Now)) // default 30 s min interval
	ready(t, v, 5*time.Second)
	l.set(a, b)
	clk.Advance(sessionguard.DefaultMinRefreshInterval)
	mustVerify(t, g, mint(b))
	if n := l.calls.Load(); n != 2 {
		t.Fatalf("LoadKeys called %d times, want 2", n)
	}
	// The refresh is rate-limited like a remote JWKS's.
	for range 20 {
		_, err := check(g, mintKid(a, "unknown-"+randHex()))
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
	}
	if n := l.calls.Load(); n != 2 {
		t.Fatalf("LoadKeys called %d times after an unknown-kid flood, want 2", n)
	}
}

func TestKeyLoaderFailedLoadKeepsLastGoodSet(t *testing.T) {
	a := sgtest.NewKey("ES256", "a")
	weak := sgtest.NewWeakRSAKey(1024, "weak")
	for _, tc := range []struct {
		name    string
		breakIt func(l *fakeLoader)
	}{
		{"error", func(l *fakeLoader) { l.fail(errors.New("database down")) }},
		{"no keys", func(l *fakeLoader) { l.set() }},
		{"only unusable keys", func(l *fakeLoader) {
			l.mu.Lock()
			l.keys = []sessionguard.PublicKey{
				{ID: "weak", Key: weak.Public()},
				{ID: "secret", Key: []byte("0123456789abcdef0123456789abcdef")},
				{ID: "nil"},
				{ID: "mismatch", Algorithm: "RS256", Key: a.Public()},
			}
			l.mu.Unlock()
		}},
		{"only an off-curve key", func(l *fakeLoader) {
			ec := sgtest.NewKey("ES256", "bad").Public().(*ecdsa.PublicKey)
			off := &ecdsa.PublicKey{Curve: ec.Curve, X: ec.X, Y: new(big.Int).Add(ec.Y, big.NewInt(1))}
			l.mu.Lock()
			l.keys = []sessionguard.PublicKey{{ID: "bad", Key: off}}
			l.mu.Unlock()
		}},
		{"panic", func(l *fakeLoader) { l.mu.Lock(); l.panic = true; l.mu.Unlock() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newFakeLoader(a)
			clk := sgtest.NewClock(time.Now())
			v, g := newGuard(t, sessionguard.FromLoader(l), sessionguard.WithClock(clk.Now))
			ready(t, v, 5*time.Second)
			tc.breakIt(l)
			clk.Advance(sessionguard.DefaultMinRefreshInterval)
			_, err := check(g, mintKid(a, "unknown"))
			mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
			if n := l.calls.Load(); n != 2 {
				t.Fatalf("LoadKeys called %d times, want 2", n)
			}
			mustVerify(t, g, mint(a))
		})
	}
}

func TestKeyLoaderMaxKeys(t *testing.T) {
	k1, k2, k3 := sgtest.NewKey("ES256", "k1"), sgtest.NewKey("ES256", "k2"), sgtest.NewKey("ES256", "k3")
	v, g := newGuard(t, sessionguard.FromLoader(newFakeLoader(k1, k2, k3), sessionguard.WithMaxKeys(2)))
	ready(t, v, 5*time.Second)
	mustVerify(t, g, mint(k2))
	_, err := check(g, mint(k3))
	mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
}

func TestKeyLoaderReadyNamesTheFailure(t *testing.T) {
	dbDown := errors.New("database down")
	l := newFakeLoader()
	l.fail(dbDown)
	v, _ := newGuard(t, sessionguard.FromLoader(l))
	var err error
	waitFor(t, 3*time.Second, "the failure to be reported", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		err = v.Ready(ctx)
		return err != nil && strings.Contains(err.Error(), "key loader")
	})
	mustFail(t, err, context.DeadlineExceeded, sessionguard.ErrKeySetNotLoaded, dbDown)
	if want := `sessionguard: key set of issuer "` + ksIss + `" not loaded: key loader: failed: database down`; err.Error() != want {
		t.Fatalf("Ready = %q, want %q", err, want)
	}
}

func TestKeyLoaderClose(t *testing.T) {
	a := sgtest.NewKey("ES256", "a")
	l := newFakeLoader(a)
	clk := sgtest.NewClock(time.Now())
	v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, sessionguard.FromLoader(l)), quiet, sessionguard.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	ready(t, v, 5*time.Second)
	g, _ := v.Required()
	// A load hangs when Close is called: Close cancels it and waits for it.
	l.mu.Lock()
	l.gate = make(chan struct{})
	l.mu.Unlock()
	clk.Advance(sessionguard.DefaultMinRefreshInterval)
	go func() { _, _ = check(g, mintKid(a, "unknown")) }()
	waitFor(t, 3*time.Second, "the hanging load", func() bool { return l.calls.Load() == 2 })
	t0 := time.Now()
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("Close took %v", d)
	}
	if e, _ := l.ctxErr.Load().(error); !errors.Is(e, context.Canceled) {
		t.Fatalf("the load in flight ended with %v when Close returned, want it cancelled", e)
	}
	// The verifier keeps its keys; nothing loads after Close.
	mustVerify(t, g, mint(a))
	clk.Advance(time.Hour)
	_, _ = check(g, mintKid(a, "unknown-2"))
	if n := l.calls.Load(); n != 2 {
		t.Fatalf("LoadKeys called after Close (%d calls)", n)
	}
}

func TestKeyLoaderConfiguration(t *testing.T) {
	a := sgtest.NewKey("ES256", "a")
	newErr := func(src *sessionguard.KeySource) error {
		v, err := sessionguard.New(sessionguard.WithIssuer(ksIss, src), quiet)
		if err == nil {
			_ = v.Close()
		}
		return err
	}
	var nilOpt sessionguard.RemoteOption
	refused := map[string]*sessionguard.KeySource{
		"nil loader":           sessionguard.FromLoader(nil),
		"WithMaxBodySize":      sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithMaxBodySize(10)),
		"WithHTTPClient":       sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithHTTPClient(http.DefaultClient)),
		"WithInsecureHTTP":     sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithInsecureHTTP()),
		"nil option (loader)":  sessionguard.FromLoader(newFakeLoader(a), nilOpt),
		"nil option (remote)":  sessionguard.RemoteJWKS("https://example.com/jwks", nilOpt),
		"zero fetch timeout":   sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithFetchTimeout(0)),
		"zero max keys":        sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithMaxKeys(0)),
		"interval below min":   sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithMinRefreshInterval(time.Hour)),
		"max interval too low": sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithMaxRefreshInterval(time.Second)),
	}
	for name, src := range refused {
		t.Run("refused: "+name, func(t *testing.T) {
			if err := newErr(src); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
	t.Run("schedule options accepted", func(t *testing.T) {
		err := newErr(sessionguard.FromLoader(newFakeLoader(a), sessionguard.WithFetchTimeout(time.Second),
			sessionguard.WithMinRefreshInterval(time.Second), sessionguard.WithRefreshInterval(time.Minute),
			sessionguard.WithMaxRefreshInterval(time.Hour), sessionguard.WithMaxKeys(5)))
		if err != nil {
			t.Fatal(err)
		}
	})
}
