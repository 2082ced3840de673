package sessionissuer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

func bearer(tok string) sessionguard.MapRequest {
	return sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok}}}
}

func cookie(name, tok string) sessionguard.MapRequest {
	return sessionguard.MapRequest{Header: map[string][]string{"Cookie": {name + "=" + tok}}}
}

func guardFor(t *testing.T, i *sessionissuer.Issuer, route ...sessionguard.RouteOption) *sessionguard.Guard {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := i.Ready(ctx); err != nil {
		t.Fatalf("issuer not ready: %v", err)
	}
	v, err := sessionguard.New(i.VerifierOptions()...)
	if err != nil {
		t.Fatalf("sessionguard.New(VerifierOptions): %v", err)
	}
	t.Cleanup(func() { v.Close() })
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("verifier not ready: %v", err)
	}
	g, err := v.Required(route...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Every token the issuer signs verifies under the core (docs/semantics.md)
// with the issuer's own verifier options, for every algorithm.
func TestTokensVerifyUnderTheCore(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		for _, aud := range [][]string{nil, {"api"}, {"api", "admin"}} {
			t.Run(alg+"/aud"+string(rune('0'+len(aud))), func(t *testing.T) {
				opts := []sessionissuer.Option{sessionissuer.WithAlgorithm(alg)}
				if aud != nil {
					opts = append(opts, sessionissuer.WithAudience(aud...))
				}
				i := newIssuer(t, sessionissuer.NewMemoryStore(), opts...)
				g := guardFor(t, i)
				ctx := context.Background()
				tok, err := i.Create(ctx, "user-7", map[string]any{"role": "admin", "n": 3}, sessionissuer.Device{})
				if err != nil {
					t.Fatal(err)
				}
				check := func(what string, tk *sessionissuer.Tokens, req sessionguard.MapRequest, role string) {
					t.Helper()
					s, err := g.Check(ctx, req)
					if err != nil {
						t.Fatalf("%s: the core refused the token: %v", what, err)
					}
					if s.Subject() != "user-7" || s.SessionID() != tk.Handle || s.Issuer() != testIss || !s.Expiry().Equal(tk.AccessExpiresAt) {
						t.Fatalf("%s: session %s %s %s %v", what, s.Subject(), s.SessionID(), s.Issuer(), s.Expiry())
					}
					if got := s.Expiry().Sub(s.IssuedAt()); got != sessionissuer.DefaultAccessTTL {
						t.Fatalf("%s: lifetime %v", what, got)
					}
					if r, _ := s.Claim("role"); string(r) != `"`+role+`"` {
						t.Fatalf("%s: role claim %s", what, r)
					}
					if len(aud) > 0 && len(s.Audience()) != len(aud) {
						t.Fatalf("%s: audience %v", what, s.Audience())
					}
				}
				check("create, header", tok, bearer(tok.AccessToken), "admin")
				check("create, cookie", tok, cookie(sessionissuer.DefaultAccessCookie, tok.AccessToken), "admin")
				ref, err := i.Refresh(ctx, tok.RefreshToken)
				if err != nil {
					t.Fatal(err)
				}
				check("refresh", ref, bearer(ref.AccessToken), "admin")
				up, err := i.UpdatePayload(ctx, tok.Handle, map[string]any{"role": "viewer"})
				if err != nil {
					t.Fatal(err)
				}
				check("update", up, bearer(up.AccessToken), "viewer")
			})
		}
	}
}

// The marker cookie of VerifierOptions makes a missing access token
// TRY_REFRESH_TOKEN.
func TestVerifierOptionsMarker(t *testing.T) {
	i := newIssuer(t, sessionissuer.NewMemoryStore(), sessionissuer.WithCookieNames("at", "rt", "rm"))
	g := guardFor(t, i)
	_, err := g.Check(context.Background(), cookie("rm", "1"))
	if !errors.Is(err, sessionguard.ErrTryRefreshToken) {
		t.Fatalf("marker only = %v, want TRY_REFRESH_TOKEN", err)
	}
	tok, _ := i.Create(context.Background(), "u", nil, sessionissuer.Device{})
	if _, err := g.Check(context.Background(), cookie("at", tok.AccessToken)); err != nil {
		t.Fatalf("renamed access cookie: %v", err)
	}
}

// The revocation check through the core guard: refused at once after
// Revoke, RevokeAll, RevokeOthers and theft; other sessions unaffected.
func TestRevocationCheckThroughTheGuard(t *testing.T) {
	i := newIssuer(t, sessionissuer.NewMemoryStore())
	g := guardFor(t, i, sessionguard.WithRevocationCheck(i.Revocations()))
	plain := guardFor(t, i)
	ctx := context.Background()
	a, _ := i.Create(ctx, "u", nil, sessionissuer.Device{})
	b, _ := i.Create(ctx, "u", nil, sessionissuer.Device{})
	if _, err := g.Check(ctx, bearer(a.AccessToken)); err != nil {
		t.Fatalf("before Revoke: %v", err)
	}
	if err := i.Revoke(ctx, a.Handle); err != nil {
		t.Fatal(err)
	}
	_, err := g.Check(ctx, bearer(a.AccessToken))
	var se *sessionguard.Error
	if !errors.Is(err, sessionguard.ErrSessionRevoked) || !errors.As(err, &se) || se.Code != sessionguard.CodeUnauthorised || !se.TokenRejected {
		t.Fatalf("after Revoke = %v, want UNAUTHORISED (invalid_token), session revoked", err)
	}
	if _, err := plain.Check(ctx, bearer(a.AccessToken)); err != nil {
		t.Fatalf("a route without the check refused a revoked session's token: %v", err)
	}
	if _, err := g.Check(ctx, bearer(b.AccessToken)); err != nil {
		t.Fatalf("another session refused: %v", err)
	}
	if err := i.RevokeOthers(ctx, "u", b.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, bearer(b.AccessToken)); err != nil {
		t.Fatalf("the kept session refused: %v", err)
	}
	if err := i.RevokeAll(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Check(ctx, bearer(b.AccessToken)); !errors.Is(err, sessionguard.ErrSessionRevoked) {
		t.Fatalf("after RevokeAll = %v", err)
	}
}
