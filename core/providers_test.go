package sessionguard_test

// Tests of the provider presets (providers_*.go, presets.go) and of OIDC
// discovery (discovery.go), each against a local fake of the provider that
// serves its documented JWKS path only (sgtest.NewJWKSServerAt,
// sgtest.NewOIDCServer), with the provider's issuer form, cookie names and
// session-id claim.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// provVerifier builds a verifier from opts, closed at the end of the test,
// and waits for its key sets.
func provVerifier(t *testing.T, opts ...sessionguard.Option) *sessionguard.Verifier {
	t.Helper()
	v, err := sessionguard.New(append([]sessionguard.Option{quiet}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	ready(t, v, 5*time.Second)
	return v
}

func cookieReq(name, tok string) sessionguard.MapRequest {
	return sessionguard.MapRequest{Header: http.Header{"Cookie": {name + "=" + tok}}}
}

// provCheck runs req through a required guard of v.
func provCheck(t *testing.T, v *sessionguard.Verifier, req sessionguard.Request, opts ...sessionguard.RouteOption) (*sessionguard.Session, error) {
	t.Helper()
	g, err := v.Required(opts...)
	if err != nil {
		t.Fatalf("Required: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.Check(ctx, req)
}

func provMint(k *sgtest.Key, iss string, extra map[string]any) string {
	c := sgtest.Claims(iss, "user-1", time.Hour)
	for n, v := range extra {
		c[n] = v
	}
	return k.Mint(c)
}

// provOK runs req like provCheck and wants a session.
func provOK(t *testing.T, v *sessionguard.Verifier, req sessionguard.Request, opts ...sessionguard.RouteOption) *sessionguard.Session {
	t.Helper()
	s, err := provCheck(t, v, req, opts...)
	if err != nil || s == nil {
		t.Fatalf("want a session, got %v, %v", s, err)
	}
	return s
}

func mustNewFail(t *testing.T, want string, opts ...sessionguard.Option) {
	t.Helper()
	v, err := sessionguard.New(append([]sessionguard.Option{quiet}, opts...)...)
	if err == nil {
		_ = v.Close()
		t.Fatalf("New succeeded, want an error containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("New: %v, want an error containing %q", err, want)
	}
}

func TestCorbado(t *testing.T) {
	k := sgtest.NewKey("RS256", "corbado-1")
	fake := sgtest.NewJWKSServerAt("/.well-known/jwks", k)
	defer fake.Close()
	const pid = "pro-1234567890"
	v := provVerifier(t, sessionguard.Corbado(pid,
		sessionguard.WithCorbadoFrontendAPI(fake.Server.URL+"/"),
		sessionguard.WithCorbadoCustomDomain("https://auth.example.test")))
	claims := map[string]any{"name": "Ada Lovelace", "email": "ada@example.test", "phone_number": "+4912345", "orig": "ada@example.test"}

	t.Run("frontend-api-issuer-in-header", func(t *testing.T) {
		s := provOK(t, v, bearer(provMint(k, fake.Server.URL, claims)))
		if s.Source() != sessionguard.SourceHeader || s.Subject() != "user-1" {
			t.Fatalf("source %v subject %q", s.Source(), s.Subject())
		}
		cc, err := sessionguard.Claims[sessionguard.CorbadoClaims](s)
		if err != nil {
			t.Fatal(err)
		}
		want := sessionguard.CorbadoClaims{Name: "Ada Lovelace", Email: "ada@example.test", PhoneNumber: "+4912345", Orig: "ada@example.test"}
		if cc != want {
			t.Fatalf("CorbadoClaims = %+v, want %+v", cc, want)
		}
	})
	for _, iss := range []string{
		"https://" + pid + ".frontendapi.corbado.io",
		"https://" + pid + ".frontendapi.cloud.corbado.io",
		"https://auth.example.test",
	} {
		t.Run("issuer/"+iss, func(t *testing.T) {
			provOK(t, v, bearer(provMint(k, iss, nil)))
		})
	}
	t.Run("other-project-is-not-ours", func(t *testing.T) {
		_, err := provCheck(t, v, bearer(provMint(k, "https://pro-999.frontendapi.corbado.io", nil)))
		mustFail(t, err, sessionguard.ErrUnauthorised, sessionguard.ErrNoToken)
	})
	for _, name := range []string{sessionguard.CorbadoCookie, sessionguard.CorbadoLegacyCookie} {
		t.Run("cookie/"+name, func(t *testing.T) {
			s := provOK(t, v, cookieReq(name, provMint(k, fake.Server.URL, nil)))
			if s.Source() != sessionguard.SourceCookie {
				t.Fatalf("source %v", s.Source())
			}
		})
	}
	t.Run("default-cookie-not-read", func(t *testing.T) {
		_, err := provCheck(t, v, cookieReq(sessionguard.DefaultCookieName, provMint(k, fake.Server.URL, nil)))
		mustFail(t, err, sessionguard.ErrNoToken)
	})
	t.Run("without-legacy-cookie", func(t *testing.T) {
		v := provVerifier(t, sessionguard.Corbado(pid, sessionguard.WithCorbadoFrontendAPI(fake.Server.URL),
			sessionguard.WithoutCorbadoLegacyCookie()))
		_, err := provCheck(t, v, cookieReq(sessionguard.CorbadoLegacyCookie, provMint(k, fake.Server.URL, nil)))
		mustFail(t, err, sessionguard.ErrNoToken)
		provOK(t, v, cookieReq(sessionguard.CorbadoCookie, provMint(k, fake.Server.URL, nil)))
	})
	t.Run("custom-domain-only-when-configured", func(t *testing.T) {
		v := provVerifier(t, sessionguard.Corbado(pid, sessionguard.WithCorbadoFrontendAPI(fake.Server.URL)))
		_, err := provCheck(t, v, bearer(provMint(k, "https://auth.example.test", nil)))
		mustFail(t, err, sessionguard.ErrNoToken)
	})
	t.Run("cookie-composes-with-WithCookie", func(t *testing.T) {
		v := provVerifier(t, sessionguard.WithCookie("old_session"),
			sessionguard.Corbado(pid, sessionguard.WithCorbadoFrontendAPI(fake.Server.URL)))
		for _, name := range []string{"old_session", sessionguard.CorbadoCookie, sessionguard.CorbadoLegacyCookie} {
			provOK(t, v, cookieReq(name, provMint(k, fake.Server.URL, nil)))
		}
	})
	if n := fake.Fetches(); n < 1 {
		t.Fatalf("the documented JWKS path was fetched %d times", n)
	}
}

func TestCorbadoConfigErrors(t *testing.T) {
	fe := sessionguard.WithCorbadoFrontendAPI("http://127.0.0.1:1")
	cases := []struct {
		name string
		want string
		opts []sessionguard.Option
	}{
		{"empty-project", "project ID", []sessionguard.Option{sessionguard.Corbado("")}},
		{"project-with-dot", "project ID", []sessionguard.Option{sessionguard.Corbado("pro-1.evil.test")}},
		{"nil-option", "nil CorbadoOption", []sessionguard.Option{sessionguard.Corbado("pro-1", nil)}},
		{"frontend-api-not-url", "not an absolute http(s) URL", []sessionguard.Option{sessionguard.Corbado("pro-1", sessionguard.WithCorbadoFrontendAPI("frontendapi.example"))}},
		{"frontend-api-with-path", "must not have a path", []sessionguard.Option{sessionguard.Corbado("pro-1", sessionguard.WithCorbadoFrontendAPI("https://x.test/api"))}},
		{"frontend-api-with-query", "query", []sessionguard.Option{sessionguard.Corbado("pro-1", sessionguard.WithCorbadoFrontendAPI("https://x.test?a=b"))}},
		{"plain-http-not-loopback", "https", []sessionguard.Option{sessionguard.Corbado("pro-1", sessionguard.WithCorbadoFrontendAPI("http://frontendapi.example"))}},
		{"nil-remote-option", "nil RemoteOption", []sessionguard.Option{sessionguard.Corbado("pro-1", sessionguard.WithCorbadoKeySet(nil))}},
		{"twice", "configured twice", []sessionguard.Option{sessionguard.Corbado("pro-1", fe), sessionguard.Corbado("pro-1", fe)}},
		{"issuer-also-given-by-hand", "configured twice", []sessionguard.Option{
			sessionguard.Corbado("pro-1", fe),
			sessionguard.WithIssuer("https://pro-1.frontendapi.corbado.io", sessionguard.RemoteJWKS("http://127.0.0.1:1/jwks")),
		}},
		{"with-key-source", "cannot be combined", []sessionguard.Option{sessionguard.Corbado("pro-1", fe), sessionguard.WithKeySource(sessionguard.RemoteJWKS("http://127.0.0.1:1/jwks"))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { mustNewFail(t, tc.want, tc.opts...) })
	}
}

func TestSuperTokens(t *testing.T) {
	k := sgtest.NewKey("RS256", "s-1")
	fake := sgtest.NewJWKSServerAt("/auth/jwt/jwks.json", k)
	defer fake.Close()
	iss := fake.Server.URL + "/auth"
	v := provVerifier(t, sessionguard.SuperTokens(fake.Server.URL))
	claims := map[string]any{"sessionHandle": "handle-1", "sid": "not-the-handle", "tId": "public", "rsub": "recipe-user-1"}

	t.Run("header", func(t *testing.T) {
		s := provOK(t, v, bearer(provMint(k, iss, claims)))
		if s.SessionID() != "handle-1" {
			t.Fatalf("SessionID = %q, want the sessionHandle", s.SessionID())
		}
		sc, err := sessionguard.Claims[sessionguard.SuperTokensClaims](s)
		if err != nil {
			t.Fatal(err)
		}
		if want := (sessionguard.SuperTokensClaims{SessionHandle: "handle-1", TenantID: "public", RecipeUserID: "recipe-user-1"}); sc != want {
			t.Fatalf("SuperTokensClaims = %+v, want %+v", sc, want)
		}
	})
	t.Run("cookie-sAccessToken", func(t *testing.T) {
		s := provOK(t, v, cookieReq(sessionguard.SuperTokensCookie, provMint(k, iss, claims)))
		if s.Source() != sessionguard.SourceCookie || s.SessionID() != "handle-1" {
			t.Fatalf("source %v session id %q", s.Source(), s.SessionID())
		}
	})
	t.Run("issuer-without-base-path-is-not-ours", func(t *testing.T) {
		_, err := provCheck(t, v, bearer(provMint(k, fake.Server.URL, claims)))
		mustFail(t, err, sessionguard.ErrNoToken)
	})
	t.Run("no-handle-no-session-id", func(t *testing.T) {
		s := provOK(t, v, bearer(provMint(k, iss, map[string]any{"sid": "x"})))
		if s.SessionID() != "" {
			t.Fatalf("SessionID = %q, want none (sid is not SuperTokens' claim)", s.SessionID())
		}
	})
	t.Run("handle-not-a-string", func(t *testing.T) {
		_, err := provCheck(t, v, bearer(provMint(k, iss, map[string]any{"sessionHandle": 42})))
		mustFail(t, err, sessionguard.ErrUnauthorised, sessionguard.ErrMalformedClaims)
	})
	t.Run("revocation-checks-the-handle", func(t *testing.T) {
		rc := &revokedSet{sids: map[string]bool{"handle-1": true}}
		_, err := provCheck(t, v, bearer(provMint(k, iss, claims)), sessionguard.WithRevocationCheck(rc))
		mustFail(t, err, sessionguard.ErrSessionRevoked)
		provOK(t, v, bearer(provMint(k, iss, map[string]any{"sessionHandle": "handle-2"})), sessionguard.WithRevocationCheck(rc))
	})
	t.Run("custom-base-path", func(t *testing.T) {
		fake := sgtest.NewJWKSServerAt("/api/st/jwt/jwks.json", k)
		defer fake.Close()
		v := provVerifier(t, sessionguard.SuperTokens(fake.Server.URL, sessionguard.WithSuperTokensAPIBasePath("/api/st/")))
		provOK(t, v, bearer(provMint(k, fake.Server.URL+"/api/st", claims)))
	})
	t.Run("root-base-path", func(t *testing.T) {
		fake := sgtest.NewJWKSServerAt("/jwt/jwks.json", k)
		defer fake.Close()
		v := provVerifier(t, sessionguard.SuperTokens(fake.Server.URL, sessionguard.WithSuperTokensAPIBasePath("/")))
		provOK(t, v, bearer(provMint(k, fake.Server.URL, claims)))
	})
}

func TestSessionIDClaimComposition(t *testing.T) {
	st := sessionguard.SuperTokens("http://127.0.0.1:1")
	cb := sessionguard.Corbado("pro-1", sessionguard.WithCorbadoFrontendAPI("http://127.0.0.1:2"))
	build := func(opts ...sessionguard.Option) error {
		v, err := sessionguard.New(append([]sessionguard.Option{quiet}, opts...)...)
		if err == nil {
			_ = v.Close()
		}
		return err
	}
	if err := build(st, sessionguard.WithSessionIDClaim("sessionHandle")); err != nil {
		t.Fatalf("the same claim by hand should compose: %v", err)
	}
	if err := build(st, cb); err != nil {
		t.Fatalf("SuperTokens and Corbado should compose: %v", err)
	}
	for name, opts := range map[string][]sessionguard.Option{
		"preset-then-option": {st, sessionguard.WithSessionIDClaim("sid")},
		"option-then-preset": {sessionguard.WithSessionIDClaim("sid"), st},
		"option-twice":       {sessionguard.WithSessionIDClaim("a"), sessionguard.WithSessionIDClaim("a"), cb},
		"empty-name":         {sessionguard.WithSessionIDClaim(""), cb},
	} {
		if err := build(opts...); err == nil {
			t.Errorf("%s: New succeeded, want a conflict error", name)
		}
	}
}

func TestWithSessionIDClaim(t *testing.T) {
	k := sgtest.NewKey("ES256", "k1")
	v := provVerifier(t, sessionguard.WithIssuer(ksIss, sessionguard.StaticJWKS(sgtest.JWKS(k))), sessionguard.WithSessionIDClaim("session_id"))
	s := provOK(t, v, bearer(provMint(k, ksIss, map[string]any{"session_id": "s-9", "sid": "other"})))
	if s.SessionID() != "s-9" {
		t.Fatalf("SessionID = %q", s.SessionID())
	}
	// "sid" named explicitly is the default behaviour.
	v = provVerifier(t, sessionguard.WithIssuer(ksIss, sessionguard.StaticJWKS(sgtest.JWKS(k))), sessionguard.WithSessionIDClaim("sid"))
	if s := provOK(t, v, bearer(provMint(k, ksIss, map[string]any{"sid": "s-1"}))); s.SessionID() != "s-1" {
		t.Fatalf("SessionID = %q", s.SessionID())
	}
}

func TestAuth0(t *testing.T) {
	k := sgtest.NewKey("RS256", "auth0-1")
	fake := sgtest.NewJWKSServerAt("/.well-known/jwks.json", k)
	defer fake.Close()
	const aud = "https://api.example.test"
	iss := fake.Server.URL + "/"
	v := provVerifier(t, sessionguard.Auth0(fake.Server.URL, aud))

	t.Run("access-token", func(t *testing.T) {
		s := provOK(t, v, bearer(provMint(k, iss, map[string]any{
			"aud": []string{aud, iss + "userinfo"}, "scope": "openid read:items", "permissions": []string{"read:items"}, "azp": "client-1",
		})))
		ac, err := sessionguard.Claims[sessionguard.Auth0Claims](s)
		if err != nil {
			t.Fatal(err)
		}
		if got := ac.Scopes(); len(got) != 2 || got[1] != "read:items" || ac.AuthorizedParty != "client-1" || len(ac.Permissions) != 1 {
			t.Fatalf("Auth0Claims = %+v", ac)
		}
	})
	t.Run("audience-required", func(t *testing.T) {
		_, err := provCheck(t, v, bearer(provMint(k, iss, nil)))
		mustFail(t, err, sessionguard.ErrUnauthorised, sessionguard.ErrAudienceMismatch)
		_, err = provCheck(t, v, bearer(provMint(k, iss, map[string]any{"aud": "https://other-api.example.test"})))
		mustFail(t, err, sessionguard.ErrAudienceMismatch)
	})
	t.Run("issuer-needs-the-trailing-slash", func(t *testing.T) {
		_, err := provCheck(t, v, bearer(provMint(k, fake.Server.URL, map[string]any{"aud": aud})))
		mustFail(t, err, sessionguard.ErrNoToken)
	})
	t.Run("config-errors", func(t *testing.T) {
		mustNewFail(t, "audience is required", sessionguard.Auth0("tenant.example.test", ""))
		mustNewFail(t, "domain", sessionguard.Auth0("", aud))
		mustNewFail(t, "must not have a path", sessionguard.Auth0("tenant.example.test/api", aud))
		mustNewFail(t, "https", sessionguard.Auth0("http://tenant.example.test", aud))
		mustNewFail(t, "nil Auth0Option", sessionguard.Auth0("tenant.example.test", aud, nil))
	})
	t.Run("bare-domain-builds", func(t *testing.T) {
		// No network is needed to build: the key set loads in the background.
		v, err := sessionguard.New(quiet, sessionguard.Auth0("tenant.example.test", aud,
			sessionguard.WithAuth0KeySet(sessionguard.WithHTTPClient(noNetworkClient(func(r *http.Request) (*http.Response, error) {
				if r.URL.String() != "https://tenant.example.test/.well-known/jwks.json" {
					t.Errorf("fetched %s", r.URL)
				}
				return jsonResponse(r, sgtest.JWKS(k)), nil
			})))))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		ready(t, v, 5*time.Second)
		provOK(t, v, bearer(provMint(k, "https://tenant.example.test/", map[string]any{"aud": aud})))
	})
}

func TestOIDCDiscovery(t *testing.T) {
	k := sgtest.NewKey("ES256", "oidc-1")

	t.Run("loads-and-verifies", func(t *testing.T) {
		srv := sgtest.NewOIDCServer(k)
		defer srv.Close()
		v := provVerifier(t, sessionguard.OIDC(srv.Issuer()))
		provOK(t, v, bearer(provMint(k, srv.Issuer(), nil)))
		if srv.DocumentFetches() != 1 || srv.JWKSFetches() != 1 {
			t.Fatalf("fetches: document %d, JWKS %d", srv.DocumentFetches(), srv.JWKSFetches())
		}
	})
	t.Run("unknown-kid-refresh-fetches-only-the-jwks", func(t *testing.T) {
		srv := sgtest.NewOIDCServer(k)
		defer srv.Close()
		v := provVerifier(t, sessionguard.OIDC(srv.Issuer()))
		k2 := sgtest.NewKey("ES256", "oidc-2")
		srv.SetKeys(k, k2)
		provOK(t, v, bearer(provMint(k2, srv.Issuer(), nil)))
		if srv.DocumentFetches() != 1 || srv.JWKSFetches() != 2 {
			t.Fatalf("fetches: document %d, JWKS %d", srv.DocumentFetches(), srv.JWKSFetches())
		}
	})
	t.Run("trailing-slash-issuer", func(t *testing.T) {
		srv := sgtest.NewOIDCServer(k)
		defer srv.Close()
		srv.SetIssuer(srv.URL + "/")
		v := provVerifier(t, sessionguard.OIDC(srv.URL+"/"))
		provOK(t, v, bearer(provMint(k, srv.URL+"/", nil)))
	})
	t.Run("jwks-failure-rediscovers", func(t *testing.T) {
		srv := sgtest.NewOIDCServer(k)
		defer srv.Close()
		srv.SetJWKSURI(srv.URL + "/moved-away") // 404 at first
		v, err := sessionguard.New(quiet, sessionguard.OIDC(srv.Issuer()))
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		waitFor(t, 5*time.Second, "a failed JWKS fetch", func() bool { return srv.DocumentFetches() >= 1 })
		srv.SetJWKSURI(srv.URL + "/jwks.json")
		ready(t, v, 10*time.Second)
		if srv.DocumentFetches() < 2 {
			t.Fatalf("document fetched %d times, want a new discovery after the failed JWKS fetch", srv.DocumentFetches())
		}
	})

	// Each of these never loads: tokens get KEYS_UNAVAILABLE and Ready's
	// error names the failed step.
	refusals := []struct {
		name  string
		setup func(*sgtest.OIDCServer)
		want  string
	}{
		{"issuer-mismatch", func(s *sgtest.OIDCServer) { s.SetIssuer(s.URL + "/") }, "OIDC discovery: issuer mismatch"},
		{"issuer-other-host", func(s *sgtest.OIDCServer) { s.SetIssuer("https://evil.example.test") }, "OIDC discovery: issuer mismatch"},
		{"jwks-uri-plain-http", func(s *sgtest.OIDCServer) { s.SetJWKSURI("http://keys.example.test/jwks") }, "OIDC discovery: jwks_uri refused"},
		{"jwks-uri-relative", func(s *sgtest.OIDCServer) { s.SetJWKSURI("/jwks.json") }, "OIDC discovery: jwks_uri is not an absolute URL"},
		{"jwks-uri-other-scheme", func(s *sgtest.OIDCServer) { s.SetJWKSURI("file:///etc/passwd") }, "OIDC discovery: jwks_uri"},
		{"document-status", func(s *sgtest.OIDCServer) { s.SetDocumentStatus(http.StatusInternalServerError) }, "OIDC discovery: HTTP status 500"},
		{"document-not-json", func(s *sgtest.OIDCServer) { s.SetDocument([]byte("<html>")) }, "OIDC discovery: parse error"},
		{"issuer-member-case", func(s *sgtest.OIDCServer) {
			s.SetDocument([]byte(`{"Issuer":"` + s.URL + `","jwks_uri":"` + s.URL + `/jwks.json"}`))
		}, `OIDC discovery: parse error: no "issuer" string`},
		{"no-jwks-uri", func(s *sgtest.OIDCServer) { s.SetDocument([]byte(`{"issuer":"` + s.URL + `"}`)) }, `no "jwks_uri" string`},
		{"jwks-404", func(s *sgtest.OIDCServer) { s.SetJWKSURI(s.URL + "/nothing-here") }, "JWKS fetch: HTTP status 404"},
	}
	for _, tc := range refusals {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			srv := sgtest.NewOIDCServer(k)
			defer srv.Close()
			tc.setup(srv)
			v, err := sessionguard.New(quiet, sessionguard.OIDC(srv.URL))
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			waitFor(t, 5*time.Second, "a discovery attempt", func() bool { return srv.DocumentFetches() >= 1 })
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			err = v.Ready(ctx)
			mustFail(t, err, sessionguard.ErrKeySetNotLoaded)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Ready: %v, want %q", err, tc.want)
			}
			_, err = provCheck(t, v, bearer(provMint(k, srv.URL, nil)))
			mustFail(t, err, sessionguard.ErrKeysUnavailable)
		})
	}
}

func TestOIDCConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		want string
		opts []sessionguard.Option
	}{
		{"plain-http", "https", []sessionguard.Option{sessionguard.OIDC("http://idp.example.test")}},
		{"not-absolute", "absolute", []sessionguard.Option{sessionguard.OIDC("idp.example.test")}},
		{"query", "query", []sessionguard.Option{sessionguard.OIDC("https://idp.example.test/?tenant=1")}},
		{"bound-to-another-issuer", "is for issuer", []sessionguard.Option{sessionguard.WithIssuer("https://a.example.test", sessionguard.OIDCDiscovery("https://b.example.test"))}},
		{"unbound", "must be bound", []sessionguard.Option{sessionguard.WithKeySource(sessionguard.OIDCDiscovery("https://b.example.test"))}},
		{"bad-schedule", "refresh interval", []sessionguard.Option{sessionguard.OIDC("https://idp.example.test", sessionguard.WithRefreshInterval(time.Second))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { mustNewFail(t, tc.want, tc.opts...) })
	}
	// Discovery over plain http to a non-loopback host is allowed only
	// with WithInsecureHTTP (and then builds without touching the network).
	v, err := sessionguard.New(quiet, sessionguard.OIDC("http://idp.example.test", sessionguard.WithInsecureHTTP(),
		sessionguard.WithHTTPClient(noNetworkClient(func(*http.Request) (*http.Response, error) { return nil, errors.New("offline") }))))
	if err != nil {
		t.Fatalf("New with WithInsecureHTTP: %v", err)
	}
	_ = v.Close()
}

// TestPresetsTogether: two providers in one verifier (a migration): each
// token verifies with its own issuer's keys only, both cookie names are
// read, and the session id comes from each issuer's own claim.
func TestPresetsTogether(t *testing.T) {
	ck := sgtest.NewKey("RS256", "corbado-1")
	sk := sgtest.NewKey("RS256", "s-1")
	cfake := sgtest.NewJWKSServerAt("/.well-known/jwks", ck)
	defer cfake.Close()
	sfake := sgtest.NewJWKSServerAt("/auth/jwt/jwks.json", sk)
	defer sfake.Close()
	v := provVerifier(t,
		sessionguard.Corbado("pro-1", sessionguard.WithCorbadoFrontendAPI(cfake.Server.URL)),
		sessionguard.SuperTokens(sfake.Server.URL))
	both := map[string]any{"sid": "corbado-sid", "sessionHandle": "st-handle"}

	s := provOK(t, v, cookieReq(sessionguard.CorbadoCookie, provMint(ck, cfake.Server.URL, both)))
	if s.SessionID() != "corbado-sid" {
		t.Fatalf("Corbado token: SessionID = %q, want its sid", s.SessionID())
	}
	s = provOK(t, v, cookieReq(sessionguard.SuperTokensCookie, provMint(sk, sfake.Server.URL+"/auth", both)))
	if s.SessionID() != "st-handle" {
		t.Fatalf("SuperTokens token: SessionID = %q, want its sessionHandle", s.SessionID())
	}
	// A SuperTokens-signed token claiming Corbado's issuer does not verify.
	_, err := provCheck(t, v, bearer(provMint(sk, cfake.Server.URL, nil)))
	mustFail(t, err, sessionguard.ErrTryRefreshToken)
}
