package sessionissuer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// newHTTPIssuer is an issuer over st with a verifier that matches it.
func newHTTPIssuer(t testing.TB, st sessionissuer.Store, log *slog.Logger, vopts ...sessionguard.Option) (*sessionissuer.Issuer, *sessionguard.Verifier) {
	t.Helper()
	opts := []sessionissuer.Option{sessionissuer.WithIssuer("https://issuer.test")}
	if log != nil {
		opts = append(opts, sessionissuer.WithLogger(log))
	}
	iss, err := sessionissuer.New(st, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = iss.Close() })
	v, err := sessionguard.New(append(iss.VerifierOptions(), vopts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return iss, v
}

func TestMountOptionsRefused(t *testing.T) {
	iss, v := newHTTPIssuer(t, sessionissuer.NewMemoryStore(), nil)
	for name, opts := range map[string][]sessionissuer.HTTPOption{
		"base without slash":                {sessionissuer.WithBasePath("auth")},
		"base trailing slash":               {sessionissuer.WithBasePath("/auth/")},
		"base root":                         {sessionissuer.WithBasePath("/")},
		"base with semicolon":               {sessionissuer.WithBasePath("/a;b")},
		"base with space":                   {sessionissuer.WithBasePath("/a b")},
		"unknown transfer":                  {sessionissuer.WithHTTPTransfer(sessionguard.Transfer(9))},
		"domain with semicolon":             {sessionissuer.WithCookieDomain("a.example; Path=/")},
		"empty domain":                      {sessionissuer.WithCookieDomain("")},
		"unknown samesite":                  {sessionissuer.WithSameSite(http.SameSite(42))},
		"unknown prefix":                    {sessionissuer.WithCookiePrefix(9)},
		"prefix and insecure":               {sessionissuer.WithCookiePrefix(sessionissuer.PrefixSecure), sessionissuer.WithInsecureCookies()},
		"samesite none insecure":            {sessionissuer.WithSameSite(http.SameSiteNoneMode), sessionissuer.WithInsecureCookies()},
		"host prefix and domain":            {sessionissuer.WithCookiePrefix(sessionissuer.PrefixHost), sessionissuer.WithCookieDomain("a.example")},
		"prefix the verifier does not read": {sessionissuer.WithCookiePrefix(sessionissuer.PrefixSecure)},
		"nil option":                        {nil},
	} {
		t.Run(name, func(t *testing.T) {
			if m, err := iss.Mount(v, opts...); err == nil || m != nil {
				t.Errorf("accepted: %v", m)
			}
		})
	}
	if _, err := iss.Mount(nil); err == nil {
		t.Error("nil verifier accepted")
	}
	other, err := sessionguard.New(sessionguard.WithIssuer("https://issuer.test", iss.KeySource()))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := iss.Mount(other); err == nil {
		t.Error("a verifier without the marker was accepted")
	}
}

// create answers a create request through m and returns its Set-Cookie lines.
func create(t *testing.T, m *sessionissuer.Mount, r *http.Request) sessionguard.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return m.Create(ctx, sessionguard.HTTPRequest{R: r}, "alice", nil, "")
}

func TestCookieAttributes(t *testing.T) {
	st := sessionissuer.NewMemoryStore()
	for _, tc := range []struct {
		name   string
		opts   []sessionissuer.HTTPOption
		vnames []string // verifier's access cookie, marker
		want   []string // Set-Cookie lines with the values replaced by V
	}{
		{"defaults", nil, nil, []string{
			"access_token=V; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
			"refresh_token=V; Path=/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax",
			"refresh_marker=V; Path=/; Max-Age=2592000; Secure; SameSite=Lax",
		}},
		{"domain, strict, scriptable, base", []sessionissuer.HTTPOption{
			sessionissuer.WithCookieDomain("example.com"), sessionissuer.WithSameSite(http.SameSiteStrictMode),
			sessionissuer.WithAccessCookieScriptable(), sessionissuer.WithBasePath("/api/session"),
		}, nil, []string{
			"access_token=V; Path=/; Domain=example.com; Max-Age=900; Secure; SameSite=Strict",
			"refresh_token=V; Path=/api/session; Domain=example.com; Max-Age=2592000; HttpOnly; Secure; SameSite=Strict",
			"refresh_marker=V; Path=/; Domain=example.com; Max-Age=2592000; Secure; SameSite=Strict",
		}},
		{"insecure, samesite default", []sessionissuer.HTTPOption{
			sessionissuer.WithInsecureCookies(), sessionissuer.WithSameSite(http.SameSiteDefaultMode),
		}, nil, []string{
			"access_token=V; Path=/; Max-Age=900; HttpOnly",
			"refresh_token=V; Path=/auth; Max-Age=2592000; HttpOnly",
			"refresh_marker=V; Path=/; Max-Age=2592000",
		}},
		{"__Host- prefix", []sessionissuer.HTTPOption{sessionissuer.WithCookiePrefix(sessionissuer.PrefixHost)},
			[]string{"__Host-access_token", "__Host-refresh_marker"}, []string{
				"__Host-access_token=V; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
				"__Secure-refresh_token=V; Path=/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax",
				"__Host-refresh_marker=V; Path=/; Max-Age=2592000; Secure; SameSite=Lax",
			}},
		{"__Secure- prefix", []sessionissuer.HTTPOption{sessionissuer.WithCookiePrefix(sessionissuer.PrefixSecure)},
			[]string{"__Secure-access_token", "__Secure-refresh_marker"}, []string{
				"__Secure-access_token=V; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
				"__Secure-refresh_token=V; Path=/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax",
				"__Secure-refresh_marker=V; Path=/; Max-Age=2592000; Secure; SameSite=Lax",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var vopts []sessionguard.Option
			if tc.vnames != nil {
				vopts = []sessionguard.Option{sessionguard.WithCookie(tc.vnames[0]), sessionguard.WithRefreshMarker(tc.vnames[1])}
			}
			iss, v := newHTTPIssuer(t, st, nil, vopts...)
			m, err := iss.Mount(v, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			resp := create(t, m, httptest.NewRequest("POST", "/login", nil))
			if resp.Status != 200 {
				t.Fatalf("create: %d %s", resp.Status, resp.Body)
			}
			var got []string
			for _, line := range resp.Header["Set-Cookie"] {
				name, rest, _ := strings.Cut(line, "=")
				_, attrs, _ := strings.Cut(rest, ";")
				got = append(got, name+"=V;"+attrs)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			a, r, mk := m.CookieNames()
			if !strings.HasPrefix(resp.Header["Set-Cookie"][0], a+"=") || !strings.HasPrefix(resp.Header["Set-Cookie"][1], r+"=") ||
				!strings.HasPrefix(resp.Header["Set-Cookie"][2], mk+"=") {
				t.Errorf("CookieNames %s %s %s do not match", a, r, mk)
			}
		})
	}
}

func TestDeviceOf(t *testing.T) {
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = "192.0.2.7:4711"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	r.Header.Set("User-Agent", strings.Repeat("é", 200)) // 400 bytes
	d := sessionissuer.DeviceOf(sessionguard.HTTPRequest{R: r}, "phone")
	if d.IP != "192.0.2.7" || d.Label != "phone" {
		t.Errorf("device %+v", d)
	}
	if len(d.UserAgent) > sessionissuer.MaxUserAgent || len(d.UserAgent) < sessionissuer.MaxUserAgent-1 || !strings.HasPrefix(strings.Repeat("é", 200), d.UserAgent) {
		t.Errorf("user agent cut to %d bytes", len(d.UserAgent))
	}
	if d := sessionissuer.DeviceOf(sessionguard.MapRequest{}, ""); d.UserAgent != "" || d.IP != "" {
		t.Errorf("empty view: %+v", d)
	}
}

// brokenStore fails every session call with a text that must never reach a
// response or a log line.
type brokenStore struct{ *sessionissuer.MemoryStore }

var errSecret = errors.New("dial tcp db.internal:5432: password=hunter2")

func (brokenStore) Create(context.Context, *sessionissuer.Record) error { return errSecret }
func (brokenStore) Get(context.Context, string) (*sessionissuer.Record, error) {
	return nil, errSecret
}

func TestStoreErrorsNeverLeak(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	iss, v := newHTTPIssuer(t, brokenStore{sessionissuer.NewMemoryStore()}, log)
	m, err := iss.Mount(v)
	if err != nil {
		t.Fatal(err)
	}
	resp := create(t, m, httptest.NewRequest("POST", "/login", nil))
	r := httptest.NewRequest("POST", "/auth/refresh", nil)
	r.Header.Set("Authorization", "Bearer AAAAAAAAAAAAAAAAAAAAAA."+strings.Repeat("A", 75))
	refresh := m.Refresh().ServeEndpoint(context.Background(), sessionguard.HTTPRequest{R: r})
	for name, resp := range map[string]sessionguard.Response{"create": resp, "refresh": refresh} {
		if resp.Status != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || resp.Header["Set-Cookie"] != nil {
			t.Errorf("%s: %d %v", name, resp.Status, resp.Header)
		}
		if strings.Contains(string(resp.Body), "hunter2") || strings.Contains(string(resp.Body), "db.internal") {
			t.Errorf("%s: body leaks the store error: %s", name, resp.Body)
		}
	}
	if strings.Contains(logs.String(), "hunter2") || strings.Contains(logs.String(), "db.internal") {
		t.Errorf("log leaks the store error: %s", logs.String())
	}
}

func TestJWKSEndpoint(t *testing.T) {
	iss, v := newHTTPIssuer(t, sessionissuer.NewMemoryStore(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	e := iss.JWKSEndpoint(v)
	resp := e.ServeEndpoint(ctx, sessionguard.MapRequest{})
	if resp.Status != 200 || resp.Header.Get("Content-Type") != "application/jwk-set+json" ||
		resp.Header.Get("Cache-Control") != "max-age=600" || !bytes.Contains(resp.Body, []byte(`"keys"`)) {
		t.Errorf("%d %v %s", resp.Status, resp.Header, resp.Body)
	}
	if resp := e.ServeEndpoint(ctx, sessionguard.MapRequest{RequestMethod: "POST"}); resp.Status != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d %v", resp.Status, resp.Header)
	}
}
