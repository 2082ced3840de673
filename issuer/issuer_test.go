package sessionissuer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	"github.com/sessionguard/sessionguard/issuer/storetest"
)

const testIss = "https://auth.example.com"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newIssuer(t testing.TB, s sessionissuer.Store, opts ...sessionissuer.Option) *sessionissuer.Issuer {
	t.Helper()
	base := []sessionissuer.Option{sessionissuer.WithIssuer(testIss), sessionissuer.WithLogger(quiet)}
	i, err := sessionissuer.New(s, append(base, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { i.Close() })
	return i
}

func TestNewRefusesNonsense(t *testing.T) {
	s := sessionissuer.NewMemoryStore()
	iss := sessionissuer.WithIssuer(testIss)
	cases := []struct {
		name string
		opts []sessionissuer.Option
	}{
		{"no issuer", nil},
		{"empty issuer", []sessionissuer.Option{sessionissuer.WithIssuer("")}},
		{"access = session", []sessionissuer.Option{iss, sessionissuer.WithAccessTTL(time.Hour), sessionissuer.WithSessionTTL(time.Hour)}},
		{"access > session", []sessionissuer.Option{iss, sessionissuer.WithSessionTTL(time.Minute)}},
		{"access 0", []sessionissuer.Option{iss, sessionissuer.WithAccessTTL(0)}},
		{"access negative", []sessionissuer.Option{iss, sessionissuer.WithAccessTTL(-time.Minute)}},
		{"access under 1s", []sessionissuer.Option{iss, sessionissuer.WithAccessTTL(time.Millisecond)}},
		{"session 0", []sessionissuer.Option{iss, sessionissuer.WithSessionTTL(0)}},
		{"absolute 0", []sessionissuer.Option{iss, sessionissuer.WithAbsoluteTTL(0)}},
		{"absolute ≤ access", []sessionissuer.Option{iss, sessionissuer.WithAbsoluteTTL(10 * time.Minute)}},
		{"grace negative", []sessionissuer.Option{iss, sessionissuer.WithRefreshGrace(-time.Second)}},
		{"grace ≥ session", []sessionissuer.Option{iss, sessionissuer.WithSessionTTL(time.Hour), sessionissuer.WithRefreshGrace(time.Hour)}},
		{"unknown alg", []sessionissuer.Option{iss, sessionissuer.WithAlgorithm("HS256")}},
		{"alg none", []sessionissuer.Option{iss, sessionissuer.WithAlgorithm("none")}},
		{"rotation 0", []sessionissuer.Option{iss, sessionissuer.WithKeyRotation(0)}},
		{"jwks max-age 0", []sessionissuer.Option{iss, sessionissuer.WithJWKSMaxAge(0)}},
		{"short master key", []sessionissuer.Option{iss, sessionissuer.WithMasterKey(make([]byte, 16))}},
		{"long master key", []sessionissuer.Option{iss, sessionissuer.WithMasterKey(make([]byte, 64))}},
		{"payload cap 0", []sessionissuer.Option{iss, sessionissuer.WithMaxPayloadSize(0)}},
		{"payload cap huge", []sessionissuer.Option{iss, sessionissuer.WithMaxPayloadSize(1 << 20)}},
		{"nil hook", []sessionissuer.Option{iss, sessionissuer.WithTheftHook(nil)}},
		{"nil clock", []sessionissuer.Option{iss, sessionissuer.WithClock(nil)}},
		{"nil logger", []sessionissuer.Option{iss, sessionissuer.WithLogger(nil)}},
		{"no audience", []sessionissuer.Option{iss, sessionissuer.WithAudience()}},
		{"empty audience", []sessionissuer.Option{iss, sessionissuer.WithAudience("api", "")}},
		{"bad cookie name", []sessionissuer.Option{iss, sessionissuer.WithCookieNames("a b", "r", "m")}},
		{"same cookie names", []sessionissuer.Option{iss, sessionissuer.WithCookieNames("a", "a", "m")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			i, err := sessionissuer.New(s, tc.opts...)
			if err == nil || i != nil {
				t.Fatalf("New = %v, %v; want an error", i, err)
			}
		})
	}
	if i, err := sessionissuer.New(nil, iss); err == nil || i != nil {
		t.Fatal("New(nil store) succeeded")
	}
	if i, err := sessionissuer.New(s, iss, nil); err == nil || i != nil {
		t.Fatal("New with a nil option succeeded (nil options are refused everywhere, as in the core)")
	}
	i, err := sessionissuer.New(s, iss, sessionissuer.WithRefreshGrace(0))
	if err != nil {
		t.Fatalf("New with grace 0: %v", err)
	}
	i.Close()
	if err := i.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// countingStore counts the writes that reach the store.
type countingStore struct {
	sessionissuer.Store
	creates, payloads atomic.Int32
}

func (c *countingStore) Create(ctx context.Context, r *sessionissuer.Record) error {
	c.creates.Add(1)
	return c.Store.Create(ctx, r)
}

func (c *countingStore) SetPayload(ctx context.Context, h string, p []byte) (bool, error) {
	c.payloads.Add(1)
	return c.Store.SetPayload(ctx, h, p)
}

func TestCreateRefusals(t *testing.T) {
	cs := &countingStore{Store: sessionissuer.NewMemoryStore()}
	i := newIssuer(t, cs)
	ctx := context.Background()
	ok, err := i.Create(ctx, "u", map[string]any{"role": "x"}, sessionissuer.Device{})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", sessionissuer.DefaultMaxPayloadSize-len(`{"b":""}`))
	cases := []struct {
		name    string
		subject string
		payload map[string]any
		want    error
	}{
		{"empty subject", "", nil, sessionissuer.ErrInvalidSubject},
		{"long subject", strings.Repeat("s", sessionissuer.MaxSubjectSize+1), nil, sessionissuer.ErrInvalidSubject},
		{"subject not UTF-8", "u\xff", nil, sessionissuer.ErrInvalidSubject},
		{"payload over the cap", "u", map[string]any{"b": big + "x"}, sessionissuer.ErrPayloadTooLarge},
		{"payload of a channel", "u", map[string]any{"c": make(chan int)}, sessionissuer.ErrInvalidPayload},
		{"payload NaN", "u", map[string]any{"n": math.NaN()}, sessionissuer.ErrInvalidPayload},
	}
	for _, name := range []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid"} {
		cases = append(cases, struct {
			name    string
			subject string
			payload map[string]any
			want    error
		}{"reserved " + name, "u", map[string]any{"ok": 1, name: "x"}, sessionissuer.ErrReservedClaim})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := cs.creates.Load()
			tok, err := i.Create(ctx, tc.subject, tc.payload, sessionissuer.Device{})
			if !errors.Is(err, tc.want) || tok != nil {
				t.Fatalf("Create = %v, %v; want %v", tok, err, tc.want)
			}
			if cs.creates.Load() != before {
				t.Fatal("a refused Create reached the store")
			}
			if tc.subject != "u" {
				return // a payload case: UpdatePayload makes the same checks
			}
			before = cs.payloads.Load()
			if tok, err := i.UpdatePayload(ctx, ok.Handle, tc.payload); !errors.Is(err, tc.want) || tok != nil {
				t.Fatalf("UpdatePayload = %v, %v; want %v", tok, err, tc.want)
			}
			if cs.payloads.Load() != before {
				t.Fatal("a refused UpdatePayload reached the store")
			}
		})
	}
	// Exactly at the cap is accepted; the subject at its maximum too.
	if _, err := i.Create(ctx, strings.Repeat("s", sessionissuer.MaxSubjectSize), map[string]any{"b": big}, sessionissuer.Device{}); err != nil {
		t.Fatalf("payload at the cap: %v", err)
	}
	small := newIssuer(t, sessionissuer.NewMemoryStore(), sessionissuer.WithMaxPayloadSize(16))
	if _, err := small.Create(ctx, "u", map[string]any{"k": "0123456789"}, sessionissuer.Device{}); !errors.Is(err, sessionissuer.ErrPayloadTooLarge) {
		t.Fatalf("WithMaxPayloadSize(16): %v", err)
	}
}

func TestDeviceIsCut(t *testing.T) {
	i := newIssuer(t, sessionissuer.NewMemoryStore())
	ua := strings.Repeat("é", 200) // 400 bytes
	tok, err := i.Create(context.Background(), "u", nil, sessionissuer.Device{UserAgent: ua, IP: strings.Repeat("1", 100), Label: "x"})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := i.List(context.Background(), "u", tok.Handle)
	if len(l) != 1 || len(l[0].UserAgent) != 256 || l[0].UserAgent != ua[:256] || len(l[0].IP) != 64 || !l[0].Current {
		t.Fatalf("List = %+v", l)
	}
}

// failingStore fails every call with a text that must never surface.
type failingStore struct {
	sessionissuer.Store
	fail atomic.Bool
}

var errSecretText = errors.New("dial tcp 10.0.0.5:5432: password=hunter2")

func (f *failingStore) err(ctx context.Context) error {
	if f.fail.Load() {
		return errSecretText
	}
	return nil
}

func (f *failingStore) Create(ctx context.Context, r *sessionissuer.Record) error {
	if err := f.err(ctx); err != nil {
		return err
	}
	return f.Store.Create(ctx, r)
}

func (f *failingStore) Get(ctx context.Context, h string) (*sessionissuer.Record, error) {
	if err := f.err(ctx); err != nil {
		return nil, err
	}
	return f.Store.Get(ctx, h)
}

func (f *failingStore) SwapRefresh(ctx context.Context, h string, v uint64, u sessionissuer.RefreshUpdate) (*sessionissuer.Record, bool, error) {
	if err := f.err(ctx); err != nil {
		return nil, false, err
	}
	return f.Store.SwapRefresh(ctx, h, v, u)
}

func (f *failingStore) SetPayload(ctx context.Context, h string, p []byte) (bool, error) {
	if err := f.err(ctx); err != nil {
		return false, err
	}
	return f.Store.SetPayload(ctx, h, p)
}

func (f *failingStore) Revoke(ctx context.Context, h string, at time.Time) (bool, error) {
	if err := f.err(ctx); err != nil {
		return false, err
	}
	return f.Store.Revoke(ctx, h, at)
}

func (f *failingStore) RevokeSubject(ctx context.Context, s, k string, at time.Time) ([]string, error) {
	if err := f.err(ctx); err != nil {
		return nil, err
	}
	return f.Store.RevokeSubject(ctx, s, k, at)
}

func (f *failingStore) List(ctx context.Context, s string, now time.Time) ([]sessionissuer.Record, error) {
	if err := f.err(ctx); err != nil {
		return nil, err
	}
	return f.Store.List(ctx, s, now)
}

func TestStoreFailures(t *testing.T) {
	fs := &failingStore{Store: sessionissuer.NewMemoryStore()}
	clock := storetest.NewClock()
	var thefts atomic.Int32
	i := newIssuer(t, fs, sessionissuer.WithClock(clock.Now), sessionissuer.WithTheftHook(func(context.Context, sessionissuer.Theft) { thefts.Add(1) }))
	ctx := context.Background()
	tok, err := i.Create(ctx, "u", nil, sessionissuer.Device{})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := i.Create(ctx, "u", nil, sessionissuer.Device{})
	child, err := i.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	fs.fail.Store(true)
	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, sessionissuer.ErrStoreUnavailable) || !errors.Is(err, errSecretText) {
			t.Errorf("%s = %v, want ErrStoreUnavailable wrapping the store's error", name, err)
		} else if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "5432") {
			t.Errorf("%s: the store's text leaked: %q", name, err)
		}
	}
	_, err = i.Create(ctx, "u", nil, sessionissuer.Device{})
	check("Create", err)
	_, err = i.Refresh(ctx, child.RefreshToken)
	check("Refresh", err)
	clock.Advance(2 * time.Minute) // a replay now would be theft, if the store answered
	_, err = i.Refresh(ctx, tok.RefreshToken)
	check("Refresh (replay)", err)
	check("Revoke", i.Revoke(ctx, tok.Handle))
	check("RevokeAll", i.RevokeAll(ctx, "u"))
	check("RevokeOthers", i.RevokeOthers(ctx, "u", tok.Handle))
	_, err = i.List(ctx, "u", "")
	check("List", err)
	_, err = i.UpdatePayload(ctx, tok.Handle, map[string]any{"a": 1})
	check("UpdatePayload", err)
	fs.fail.Store(false)
	// A store outage is never a logout: the session is intact.
	if _, err := i.Refresh(ctx, child.RefreshToken); err != nil {
		t.Fatalf("Refresh after the outage: %v", err)
	}
	if _, err := i.Refresh(ctx, other.RefreshToken); err != nil {
		t.Fatalf("Refresh of another session after the outage: %v", err)
	}
	if thefts.Load() != 0 {
		t.Fatal("theft reported during an outage")
	}
	// A context deadline is a store failure too, and says so.
	dctx, cancel := context.WithTimeout(ctx, -time.Second)
	defer cancel()
	_, err = i.Create(dctx, "u", nil, sessionissuer.Device{})
	if !errors.Is(err, sessionissuer.ErrStoreUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Create past its deadline = %v", err)
	}
}

func TestTheftIsLoggedWithoutTokens(t *testing.T) {
	var buf bytes.Buffer
	clock := storetest.NewClock()
	i := newIssuer(t, sessionissuer.NewMemoryStore(), sessionissuer.WithClock(clock.Now),
		sessionissuer.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	ctx := context.Background()
	tok, _ := i.Create(ctx, "user-1", nil, sessionissuer.Device{IP: "203.0.113.9"})
	child, _ := i.Refresh(ctx, tok.RefreshToken)
	clock.Advance(sessionissuer.DefaultRefreshGrace)
	if _, err := i.Refresh(ctx, tok.RefreshToken); !errors.Is(err, sessionissuer.ErrTokenTheft) {
		t.Fatalf("replay after grace = %v", err)
	}
	out := buf.String()
	if !strings.Contains(out, "TOKEN_THEFT_DETECTED") || !strings.Contains(out, tok.Handle) || !strings.Contains(out, "user-1") {
		t.Errorf("theft log line = %q", out)
	}
	for _, secret := range []string{tok.RefreshToken, child.RefreshToken, tok.AccessToken, tok.RefreshToken[23:]} {
		if strings.Contains(out, secret) {
			t.Fatalf("the log holds a token: %q", out)
		}
	}
}

func TestJWKSAndCookieNames(t *testing.T) {
	i := newIssuer(t, sessionissuer.NewMemoryStore(), sessionissuer.WithJWKSMaxAge(time.Minute), sessionissuer.WithCookieNames("at", "rt", "rm"))
	doc, maxAge := i.JWKS()
	if maxAge != time.Minute || !bytes.Contains(doc, []byte(`"keys"`)) || bytes.Contains(doc, []byte(`"d"`)) {
		t.Fatalf("JWKS = %s, %v", doc, maxAge)
	}
	if a, r, m := i.CookieNames(); a != "at" || r != "rt" || m != "rm" {
		t.Fatalf("CookieNames = %s %s %s", a, r, m)
	}
}

func TestLooksLikeRefreshToken(t *testing.T) {
	i := newIssuer(t, sessionissuer.NewMemoryStore())
	tok, _ := i.Create(context.Background(), "u", nil, sessionissuer.Device{})
	for _, s := range []string{tok.RefreshToken, "abc", "a.b", "A-_9"} {
		if !sessionissuer.LooksLikeRefreshToken(s) {
			t.Errorf("LooksLikeRefreshToken(%q) = false", s)
		}
	}
	for _, s := range []string{"", tok.AccessToken, "a.b.c", "a b", "a+b", "a=", strings.Repeat("a", 513), "é"} {
		if sessionissuer.LooksLikeRefreshToken(s) {
			t.Errorf("LooksLikeRefreshToken(%q) = true", s)
		}
	}
	if len(tok.RefreshToken) > sessionissuer.MaxRefreshTokenSize || strings.Count(tok.RefreshToken, ".") != 1 {
		t.Fatalf("refresh token shape: %q", tok.RefreshToken)
	}
	if _, err := i.Refresh(context.Background(), tok.AccessToken); !errors.Is(err, sessionissuer.ErrInvalidRefreshToken) {
		t.Fatalf("Refresh(access token) = %v", err)
	}
}
