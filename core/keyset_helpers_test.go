package sessionguard_test

// Helpers of the key-set tests (keystore, refresher, JWKS loader, key
// loader and key source tests): a guard over one source, minting, polling
// with deadlines, fake transports and with sgtest.Clock as the settable clock.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
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

// offCurveJWK is k's public JWK (an EC key) with its point moved off the
// curve (y+1): well-formed JSON and numbers that jwx accepts, but no key.
func offCurveJWK(t *testing.T, k *sgtest.Key) map[string]any {
	t.Helper()
	pub := k.Public().(*ecdsa.PublicKey)
	size := (pub.Curve.Params().BitSize + 7) / 8
	y := new(big.Int).Add(pub.Y, big.NewInt(1))
	// The NIST curves: y² = x³ - 3x + b (mod p). y+1 never satisfies it
	// when y does, but check with arithmetic of the test's own.
	p := pub.Curve.Params()
	rhs := new(big.Int).Exp(pub.X, big.NewInt(3), p.P)
	rhs.Sub(rhs, new(big.Int).Mul(big.NewInt(3), pub.X))
	rhs.Add(rhs, p.B).Mod(rhs, p.P)
	if new(big.Int).Exp(y, big.NewInt(2), p.P).Cmp(rhs) == 0 {
		t.Fatal("y+1 is on the curve")
	}
	m := k.JWK()
	m["y"] = base64.RawURLEncoding.EncodeToString(y.FillBytes(make([]byte, size)))
	return m
}
