package sessionguard_test

// Tests of the observer hook (observer.go): which events a verifier sends,
// what they hold, and what they never hold.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// recorder keeps every event it is sent.
type recorder struct {
	mu       sync.Mutex
	requests []sessionguard.RequestEvent
	fetches  []sessionguard.KeyFetchEvent
	cache    []sessionguard.CacheEvent
	issuer   []sessionguard.IssuerEvent
}

func (r *recorder) Request(e sessionguard.RequestEvent) {
	r.mu.Lock()
	r.requests = append(r.requests, e)
	r.mu.Unlock()
}

func (r *recorder) KeyFetch(e sessionguard.KeyFetchEvent) {
	r.mu.Lock()
	r.fetches = append(r.fetches, e)
	r.mu.Unlock()
}

func (r *recorder) CacheLookup(e sessionguard.CacheEvent) {
	r.mu.Lock()
	r.cache = append(r.cache, e)
	r.mu.Unlock()
}

func (r *recorder) IssuerOperation(e sessionguard.IssuerEvent) {
	r.mu.Lock()
	r.issuer = append(r.issuer, e)
	r.mu.Unlock()
}

func (r *recorder) take() (req []sessionguard.RequestEvent, f []sessionguard.KeyFetchEvent, c []sessionguard.CacheEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	req, f, c = r.requests, r.fetches, r.cache
	r.requests, r.fetches, r.cache = nil, nil, nil
	return req, f, c
}

func (r *recorder) fetchCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.fetches)
}

// String renders every event, to check what they may not contain.
func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("%+v %+v %+v %+v", r.requests, r.fetches, r.cache, r.issuer)
}

func TestObserverKeyFetch(t *testing.T) {
	k := sgtest.NewKey("ES256", "obs-kid-1")
	t.Run("ok", func(t *testing.T) {
		srv := sgtest.NewJWKSServer(k)
		defer srv.Close()
		rec := &recorder{}
		v := provVerifier(t, sessionguard.WithIssuer(ksIss, sessionguard.RemoteJWKS(srv.URL())), sessionguard.WithObserver(rec))
		waitFor(t, 5*time.Second, "the fetch event", func() bool { return rec.fetchCount() == 1 })
		_, f, _ := rec.take()
		if e := f[0]; e.Result != sessionguard.FetchOK || e.Keys != 1 || e.Issuer != ksIss || e.Duration <= 0 || e.UnknownKid {
			t.Fatalf("event %+v", e)
		}
		_ = v
	})
	t.Run("unknown-kid", func(t *testing.T) {
		srv := sgtest.NewJWKSServer(k)
		defer srv.Close()
		rec := &recorder{}
		v := provVerifier(t, sessionguard.WithIssuer(ksIss, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMinRefreshInterval(time.Millisecond))),
			sessionguard.WithObserver(rec))
		waitFor(t, 5*time.Second, "the first fetch event", func() bool { return rec.fetchCount() == 1 })
		k2 := sgtest.NewKey("ES256", "obs-kid-2")
		srv.SetKeys(k, k2)
		provOK(t, v, bearer(provMint(k2, ksIss, nil)))
		waitFor(t, 5*time.Second, "the refresh event", func() bool { return rec.fetchCount() == 2 })
		_, f, _ := rec.take()
		if e := f[1]; e.Result != sessionguard.FetchOK || e.Keys != 2 || !e.UnknownKid {
			t.Fatalf("event %+v", e)
		}
	})
	failures := []struct {
		name string
		src  func(t *testing.T) *sessionguard.KeySource
		want sessionguard.FetchResult
	}{
		{"http-status", func(t *testing.T) *sessionguard.KeySource {
			srv := sgtest.NewJWKSServer(k)
			t.Cleanup(srv.Close)
			srv.SetStatus(http.StatusServiceUnavailable)
			return sessionguard.RemoteJWKS(srv.URL())
		}, sessionguard.FetchHTTPStatus},
		{"parse-error", func(t *testing.T) *sessionguard.KeySource {
			srv := sgtest.NewJWKSServer(k)
			t.Cleanup(srv.Close)
			srv.SetBody([]byte("not json"))
			return sessionguard.RemoteJWKS(srv.URL())
		}, sessionguard.FetchParseError},
		{"too-large", func(t *testing.T) *sessionguard.KeySource {
			srv := sgtest.NewJWKSServer(k)
			t.Cleanup(srv.Close)
			return sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMaxBodySize(10))
		}, sessionguard.FetchTooLarge},
		{"no-usable-key", func(t *testing.T) *sessionguard.KeySource {
			srv := sgtest.NewJWKSServer()
			t.Cleanup(srv.Close)
			return sessionguard.RemoteJWKS(srv.URL())
		}, sessionguard.FetchNoUsableKey},
		{"request-failed", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS("https://keys.example.test/jwks", sessionguard.WithHTTPClient(noNetworkClient(nil)))
		}, sessionguard.FetchRequestFailed},
		{"discovery-refused", nil, sessionguard.FetchDiscoveryRefused}, // built below with OIDC
		{"loader-error", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.FromLoader(loaderFunc(func(context.Context) ([]sessionguard.PublicKey, time.Duration, error) {
				return nil, 0, errors.New("secret loader text")
			}))
		}, sessionguard.FetchLoaderFailed},
		{"loader-panic", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.FromLoader(loaderFunc(func(context.Context) ([]sessionguard.PublicKey, time.Duration, error) {
				panic("boom")
			}))
		}, sessionguard.FetchPanicked},
	}
	for _, tc := range failures {
		t.Run("failure/"+tc.name, func(t *testing.T) {
			rec := &recorder{}
			var opt sessionguard.Option
			if tc.src == nil {
				srv := sgtest.NewOIDCServer(k)
				defer srv.Close()
				srv.SetIssuer("https://elsewhere.example.test")
				opt = sessionguard.OIDC(srv.URL)
			} else {
				opt = sessionguard.WithIssuer(ksIss, tc.src(t))
			}
			v, err := sessionguard.New(quiet, opt, sessionguard.WithObserver(rec))
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			waitFor(t, 5*time.Second, "a fetch event", func() bool { return rec.fetchCount() >= 1 })
			_, f, _ := rec.take()
			if e := f[0]; e.Result != tc.want || e.Keys != 0 {
				t.Fatalf("event %+v, want result %q", e, tc.want)
			}
			if strings.Contains(rec.String(), "secret loader text") {
				t.Fatal("an event carries the loader's error text")
			}
		})
	}
}

type loaderFunc func(context.Context) ([]sessionguard.PublicKey, time.Duration, error)

func (f loaderFunc) LoadKeys(ctx context.Context) ([]sessionguard.PublicKey, time.Duration, error) {
	return f(ctx)
}

func TestObserverOption(t *testing.T) {
	src := sessionguard.StaticJWKS(sgtest.JWKS(sgtest.NewKey("ES256", "k")))
	mustNewFail(t, "nil Observer", sessionguard.WithIssuer(ksIss, src), sessionguard.WithObserver(nil))
	mustNewFail(t, "twice", sessionguard.WithIssuer(ksIss, src), sessionguard.WithObserver(&recorder{}), sessionguard.WithObserver(&recorder{}))
	// NopObserver satisfies Observer, so a partial observer can embed it.
	var _ sessionguard.Observer = sessionguard.NopObserver{}
	sessionguard.ObserveIssuer(nil, sessionguard.IssuerEvent{Op: sessionguard.IssuerCreate}) // nil: nothing happens
	rec := &recorder{}
	sessionguard.ObserveIssuer(rec, sessionguard.IssuerEvent{Op: sessionguard.IssuerRefresh, Result: sessionguard.IssuerRejected})
	if len(rec.issuer) != 1 || rec.issuer[0].Op != sessionguard.IssuerRefresh {
		t.Fatalf("issuer events %+v", rec.issuer)
	}
	sessionguard.ObserveIssuer(panicObserver{}, sessionguard.IssuerEvent{}) // must not panic
}

// panicObserver panics on every event.
type panicObserver struct{ sessionguard.NopObserver }

func (panicObserver) Request(sessionguard.RequestEvent)        { panic("observer bug") }
func (panicObserver) KeyFetch(sessionguard.KeyFetchEvent)      { panic("observer bug") }
func (panicObserver) CacheLookup(sessionguard.CacheEvent)      { panic("observer bug") }
func (panicObserver) IssuerOperation(sessionguard.IssuerEvent) { panic("observer bug") }

func TestObserverPanicLosesOnlyTheEvent(t *testing.T) {
	k := sgtest.NewKey("ES256", "k")
	srv := sgtest.NewJWKSServer(k)
	defer srv.Close()
	v := provVerifier(t, sessionguard.WithIssuer(ksIss, sessionguard.RemoteJWKS(srv.URL())), sessionguard.WithObserver(panicObserver{}))
	tok := provMint(k, ksIss, nil)
	provOK(t, v, bearer(tok))
	provOK(t, v, bearer(tok)) // a cache hit
}

func TestObserverRequestEvents(t *testing.T) {
	k := sgtest.NewKey("ES256", "kid-secret")
	rec := &recorder{}
	v := provVerifier(t, sessionguard.WithIssuer(ksIss, sessionguard.StaticJWKS(sgtest.JWKS(k))), sessionguard.WithObserver(rec))
	tok := provMint(k, ksIss, map[string]any{"sid": "sid-secret"})
	expired := k.Mint(sgtest.Claims(ksIss, "user-1", -time.Hour))
	req, _ := v.Required()
	opt, _ := v.Optional()
	cookie := func(method, tok string) sessionguard.MapRequest {
		r := cookieReq(sessionguard.DefaultCookieName, tok)
		r.RequestMethod = method
		r.RequestHost = "api.example.test"
		r.Header["Sec-Fetch-Site"] = []string{"cross-site"}
		return r
	}
	cases := []struct {
		name  string
		g     *sessionguard.Guard
		r     sessionguard.Request
		want  sessionguard.RequestEvent
		label string
	}{
		{"header-session", req, bearer(tok), sessionguard.RequestEvent{Source: sessionguard.SourceHeader, Session: true}, "session"},
		{"cookie-session", req, cookie("GET", tok), sessionguard.RequestEvent{Source: sessionguard.SourceCookie, Session: true}, "session"},
		{"nothing-required", req, sessionguard.MapRequest{}, sessionguard.RequestEvent{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrNoToken}, "UNAUTHORISED"},
		{"nothing-optional", opt, sessionguard.MapRequest{}, sessionguard.RequestEvent{}, "no_session"},
		{"options", req, sessionguard.MapRequest{RequestMethod: http.MethodOptions}, sessionguard.RequestEvent{}, "no_session"},
		{"expired-header", opt, bearer(expired), sessionguard.RequestEvent{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrTokenExpired, Source: sessionguard.SourceHeader}, "TRY_REFRESH_TOKEN"},
		{"cross-origin-cookie", req, cookie("POST", tok), sessionguard.RequestEvent{Code: sessionguard.CodeCrossOriginRequest, Reason: sessionguard.ErrCrossOrigin, Source: sessionguard.SourceCookie}, "CROSS_ORIGIN_REQUEST"},
		{"two-authorization-fields", req, sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok, "Bearer " + tok}}},
			sessionguard.RequestEvent{Code: sessionguard.CodeInvalidRequest, Reason: sessionguard.ErrDuplicateAuthorization}, "INVALID_REQUEST"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _ = tc.g.Check(context.Background(), tc.r)
			got, _, _ := rec.take()
			if len(got) != 1 {
				t.Fatalf("%d request events, want 1", len(got))
			}
			if got[0] != tc.want || got[0].Outcome() != tc.label {
				t.Fatalf("event %+v (%s), want %+v (%s)", got[0], got[0].Outcome(), tc.want, tc.label)
			}
		})
	}
	for _, secret := range []string{tok, "user-1", "sid-secret", "kid-secret"} {
		if strings.Contains(rec.String(), secret) {
			t.Fatalf("an event holds %q", secret)
		}
	}
}

func TestObserverKeysUnavailable(t *testing.T) {
	k := sgtest.NewKey("ES256", "k")
	rec := &recorder{}
	v, err := sessionguard.New(quiet, sessionguard.WithObserver(rec),
		sessionguard.WithIssuer(ksIss, sessionguard.RemoteJWKS("https://keys.example.test/jwks", sessionguard.WithHTTPClient(noNetworkClient(nil)))))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	g, _ := v.Required()
	_, _ = g.Check(context.Background(), bearer(provMint(k, ksIss, nil)))
	got, _, _ := rec.take()
	want := sessionguard.RequestEvent{Code: sessionguard.CodeKeysUnavailable, Reason: sessionguard.ErrKeySetNotLoaded, Source: sessionguard.SourceHeader}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("events %+v, want %+v", got, want)
	}
}

func TestObserverCacheEvents(t *testing.T) {
	k := sgtest.NewKey("ES256", "k")
	other := sgtest.NewKey("ES256", "other")
	src := sessionguard.StaticJWKS(sgtest.JWKS(k))
	tok := provMint(k, ksIss, nil)
	run := func(t *testing.T, opts ...sessionguard.Option) []sessionguard.CacheEvent {
		rec := &recorder{}
		v := provVerifier(t, append([]sessionguard.Option{sessionguard.WithIssuer(ksIss, src), sessionguard.WithObserver(rec)}, opts...)...)
		for _, r := range []sessionguard.Request{
			bearer(tok), bearer(tok), cookieReq(sessionguard.DefaultCookieName, tok),
			bearer(provMint(other, "https://someone-else.example.test", nil)), // not ours: no lookup event
		} {
			_, _ = provCheck(t, v, r)
		}
		_, _, c := rec.take()
		return c
	}
	got := run(t)
	want := []sessionguard.CacheEvent{
		{Hit: false, Source: sessionguard.SourceHeader},
		{Hit: true, Source: sessionguard.SourceHeader},
		{Hit: true, Source: sessionguard.SourceCookie},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cache events %+v, want %+v", got, want)
	}
	if got := run(t, sessionguard.WithoutCache()); len(got) != 0 {
		t.Fatalf("cache events without a cache: %+v", got)
	}
}
