package sessionguard_test

// JWKS loader tests (jwksloader.go): how a set is fetched and judged —
// garbage bodies, the body and key caps, the https rule and redirects, and
// the classified failures that Ready reports.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

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

// readyFailure polls Ready with short contexts until its error names a
// failure of the source (contains substr), and returns that error.
func readyFailure(t *testing.T, v *sessionguard.Verifier, substr string) error {
	t.Helper()
	var err error
	waitFor(t, 5*time.Second, "Ready to report "+substr, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		err = v.Ready(ctx)
		return err != nil && strings.Contains(err.Error(), substr)
	})
	mustFail(t, err, context.DeadlineExceeded, sessionguard.ErrKeySetNotLoaded)
	return err
}

func TestKeySetDiagnostics(t *testing.T) {
	// Each class of failure that can be produced on loopback (or offline)
	// is named by Ready, in sessionguard's own words.
	oct := map[string]any{"kty": "oct", "kid": "s", "k": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}
	served := func(t *testing.T, set func(*sgtest.JWKSServer)) string {
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		set(srv)
		return srv.URL()
	}
	cases := []struct {
		name string
		src  func(t *testing.T) *sessionguard.KeySource
		want string
	}{
		{"connection refused", func(t *testing.T) *sessionguard.KeySource {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			_ = l.Close() // nothing listens there any more
			return sessionguard.RemoteJWKS("http://" + addr + "/jwks.json")
		}, "connection refused"},
		{"DNS lookup", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS("https://jwks.invalid/keys") // RFC 2606: never resolves
		}, "DNS lookup failed"},
		{"TLS", func(t *testing.T) *sessionguard.KeySource {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write(sgtest.JWKS(sgtest.NewKey("ES256", "a")))
			}))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return sessionguard.RemoteJWKS(srv.URL + "/jwks.json") // its certificate is not trusted
		}, "TLS handshake failed"},
		{"timeout", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS(served(t, func(s *sgtest.JWKSServer) { s.SetDelay(time.Minute) }),
				sessionguard.WithFetchTimeout(50*time.Millisecond))
		}, "timed out"},
		{"HTTP status", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS(served(t, func(s *sgtest.JWKSServer) { s.SetStatus(http.StatusServiceUnavailable) }))
		}, "HTTP status 503"},
		{"body too large", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS(served(t, func(s *sgtest.JWKSServer) { s.SetKeys(sgtest.NewKey("ES256", "a")) }),
				sessionguard.WithMaxBodySize(16))
		}, "body too large (over 16 bytes)"},
		{"parse error", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS(served(t, func(s *sgtest.JWKSServer) { s.SetBody([]byte("<html>secret page</html>")) }))
		}, "parse error: body is not a JWK Set"},
		{"redirect loop", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS(served(t, func(s *sgtest.JWKSServer) {
				s.SetStatus(http.StatusFound)
				s.SetHeader("Location", "/jwks.json")
			}))
		}, "too many redirects"},
		{"redirect to plain http elsewhere", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS(served(t, func(s *sgtest.JWKSServer) {
				s.SetStatus(http.StatusFound)
				s.SetHeader("Location", "http://example.com/jwks")
			}))
		}, "redirect to a plain-http URL refused"},
		{"no usable key", func(t *testing.T) *sessionguard.KeySource {
			return sessionguard.RemoteJWKS(served(t, func(s *sgtest.JWKSServer) { s.SetBody(jwksOf(oct)) }))
		}, "no usable key in the JWK Set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, _ := newGuard(t, tc.src(t))
			err := readyFailure(t, v, "JWKS fetch")
			want := `sessionguard: key set of issuer "` + ksIss + `" not loaded: JWKS fetch: ` + tc.want
			if err.Error() != want {
				t.Fatalf("Ready = %q\nwant    %q", err, want)
			}
		})
	}

	t.Run("every source not loaded is named", func(t *testing.T) {
		t.Parallel()
		down := sgtest.NewJWKSServer()
		t.Cleanup(down.Close)
		down.SetStatus(http.StatusBadGateway)
		a := sgtest.NewKey("ES256", "a")
		up := sgtest.NewJWKSServer(a)
		t.Cleanup(up.Close)
		shared := sessionguard.RemoteJWKS(down.URL())
		v, err := sessionguard.New(quiet,
			sessionguard.WithIssuer("https://a", shared),
			sessionguard.WithIssuer("https://b", sessionguard.RemoteJWKS(up.URL())),
			sessionguard.WithIssuer("https://c", shared))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = v.Close() })
		err = readyFailure(t, v, "502")
		want := `sessionguard: key set of issuers "https://a", "https://c" not loaded: JWKS fetch: HTTP status 502`
		if err.Error() != want {
			t.Fatalf("Ready = %q\nwant    %q", err, want)
		}
	})
	t.Run("WithKeySource names no issuer", func(t *testing.T) {
		t.Parallel()
		down := sgtest.NewJWKSServer()
		t.Cleanup(down.Close)
		down.SetStatus(http.StatusNotFound)
		v, err := sessionguard.New(quiet, sessionguard.WithKeySource(sessionguard.RemoteJWKS(down.URL())))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = v.Close() })
		err = readyFailure(t, v, "404")
		if want := `sessionguard: key set not loaded: JWKS fetch: HTTP status 404`; err.Error() != want {
			t.Fatalf("Ready = %q, want %q", err, want)
		}
	})
	t.Run("a loaded verifier is ready even with an ended context", func(t *testing.T) {
		t.Parallel()
		v, _ := newGuard(t, sessionguard.StaticJWKS(sgtest.JWKS(sgtest.NewKey("ES256", "a"))))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := v.Ready(ctx); err != nil {
			t.Fatalf("Ready = %v", err)
		}
	})
}

func TestKeySetRedirectDowngrade(t *testing.T) {
	// An https key set that redirects to plain http must not be trusted,
	// even when the target is loopback and even with WithInsecureHTTP: the
	// redirect strips the transport security the URL asked for.
	a := sgtest.NewKey("ES256", "a")
	plain := sgtest.NewJWKSServer(a) // loopback, plain http: a valid set
	t.Cleanup(plain.Close)
	for _, insecure := range []bool{false, true} {
		name := "https to loopback http refused"
		if insecure {
			name += " (WithInsecureHTTP)"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				http.Redirect(w, r, plain.URL(), http.StatusFound)
			}))
			t.Cleanup(tlsSrv.Close)
			opts := []sessionguard.RemoteOption{sessionguard.WithHTTPClient(tlsSrv.Client())}
			if insecure {
				opts = append(opts, sessionguard.WithInsecureHTTP())
			}
			before := plain.Fetches()
			v, g := newGuard(t, sessionguard.RemoteJWKS(tlsSrv.URL+"/jwks.json", opts...))
			waitFor(t, 2*time.Second, "the first fetch", func() bool { return hits.Load() >= 1 })
			err := readyFailure(t, v, "JWKS fetch")
			if want := "JWKS fetch: redirect from https to http refused"; !strings.HasSuffix(err.Error(), want) {
				t.Fatalf("Ready = %q, want it to end in %q", err, want)
			}
			if got := plain.Fetches() - before; got != 0 {
				t.Fatalf("the plain-http target was fetched %d times", got)
			}
			_, err = check(g, mint(a))
			mustFail(t, err, sessionguard.ErrKeysUnavailable)
		})
	}
	t.Run("https to https followed", func(t *testing.T) {
		t.Parallel()
		target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(sgtest.JWKS(a))
		}))
		t.Cleanup(target.Close)
		from := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/keys", http.StatusFound)
		}))
		from.TLS = target.TLS // the same test certificate: one client trusts both
		from.StartTLS()
		t.Cleanup(from.Close)
		v, g := newGuard(t, sessionguard.RemoteJWKS(from.URL+"/jwks.json", sessionguard.WithHTTPClient(target.Client())))
		ready(t, v, 5*time.Second)
		mustVerify(t, g, mint(a))
	})
}

func TestKeySetInvalidKeys(t *testing.T) {
	// jwx parses an EC point without checking that it lies on its curve; a
	// set of such keys must never replace a good one.
	t.Run("a refresh of only off-curve keys keeps the last good set", func(t *testing.T) {
		t.Parallel()
		a := sgtest.NewKey("ES256", "a")
		bad := sgtest.NewKey("ES256", "bad")
		srv := sgtest.NewJWKSServer(a)
		t.Cleanup(srv.Close)
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL(), sessionguard.WithMinRefreshInterval(20*time.Millisecond)))
		ready(t, v, 5*time.Second)
		mustVerify(t, g, mint(a))
		srv.SetBody(jwksOf(offCurveJWK(t, bad)))
		_ = triggerRefresh(t, g, srv, a)
		time.Sleep(settle)
		mustVerify(t, g, mint(a))
	})
	t.Run("off-curve keys beside good ones are dropped", func(t *testing.T) {
		t.Parallel()
		a := sgtest.NewKey("ES384", "a")
		bad := sgtest.NewKey("ES384", "bad")
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		srv.SetBody(jwksOf(offCurveJWK(t, bad), a.JWK()))
		v, g := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		ready(t, v, 5*time.Second)
		mustVerify(t, g, mint(a))
		_, err := check(g, mint(bad))
		mustFail(t, err, sessionguard.ErrTryRefreshToken, sessionguard.ErrUnknownKey)
	})
	t.Run("a first set of only off-curve keys does not load", func(t *testing.T) {
		t.Parallel()
		bad := sgtest.NewKey("ES512", "bad")
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		srv.SetBody(jwksOf(offCurveJWK(t, bad)))
		v, _ := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		err := readyFailure(t, v, "JWKS fetch")
		if !strings.HasSuffix(err.Error(), "no usable key in the JWK Set") {
			t.Fatalf("Ready = %q", err)
		}
	})
	t.Run("RSA keys with an impossible exponent are dropped", func(t *testing.T) {
		t.Parallel()
		a := sgtest.NewKey("RS256", "a")
		srv := sgtest.NewJWKSServer()
		t.Cleanup(srv.Close)
		var bad []map[string]any
		for _, e := range []int64{1, 2, 65536} {
			m := sgtest.NewKey("RS256", fmt.Sprintf("e%d", e)).JWK()
			m["e"] = base64.RawURLEncoding.EncodeToString(big.NewInt(e).Bytes())
			bad = append(bad, m)
		}
		srv.SetBody(jwksOf(bad...))
		v, _ := newGuard(t, sessionguard.RemoteJWKS(srv.URL()))
		err := readyFailure(t, v, "JWKS fetch")
		if !strings.HasSuffix(err.Error(), "no usable key in the JWK Set") {
			t.Fatalf("Ready = %q", err)
		}
		srv.SetBody(jwksOf(append(bad, a.JWK())...))
		ready(t, v, 5*time.Second)
		g, _ := v.Required()
		mustVerify(t, g, mint(a))
	})
}
