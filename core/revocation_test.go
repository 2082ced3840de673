package sessionguard_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// revokedSet is an in-memory RevocationChecker.
type revokedSet struct {
	mu    sync.Mutex
	sids  map[string]bool
	calls int
}

func (r *revokedSet) Revoked(sid string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	return r.sids[sid]
}

func (r *revokedSet) revoke(sid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sids == nil {
		r.sids = map[string]bool{}
	}
	r.sids[sid] = true
}

func TestRevocationCheck(t *testing.T) {
	k := sgtest.NewKey("ES256", "r1")
	rc := &revokedSet{}
	v, err := sessionguard.New(sessionguard.WithIssuer("iss", sessionguard.StaticJWKS(sgtest.JWKS(k))))
	if err != nil {
		t.Fatal(err)
	}
	checked, err := v.Required(sessionguard.WithRevocationCheck(rc))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := v.Required()
	withSid := func(sid any) string {
		c := sgtest.Claims("iss", "u1", time.Hour)
		if sid != nil {
			c["sid"] = sid
		}
		return k.Mint(c)
	}
	rejected := func(t *testing.T, g *sessionguard.Guard, tok string, reason error) {
		t.Helper()
		s, err := g.Check(context.Background(), bearer(tok))
		var e *sessionguard.Error
		if s != nil || !errors.As(err, &e) || !errors.Is(err, sessionguard.ErrUnauthorised) || !errors.Is(err, reason) || !e.TokenRejected {
			t.Fatalf("want UNAUTHORISED / %v, got %s", reason, atkDescribe(s, err))
		}
		if www := g.Render(err).Header.Get("WWW-Authenticate"); !strings.Contains(www, `error="invalid_token"`) {
			t.Fatalf("WWW-Authenticate %q", www)
		}
	}
	accepted := func(t *testing.T, g *sessionguard.Guard, tok string) {
		t.Helper()
		if s, err := g.Check(context.Background(), bearer(tok)); err != nil || s == nil {
			t.Fatalf("want a session, got %s", atkDescribe(s, err))
		}
	}

	t.Run("live session", func(t *testing.T) { accepted(t, checked, withSid("s-live")) })
	t.Run("no sid", func(t *testing.T) {
		rejected(t, checked, withSid(nil), sessionguard.ErrMissingSessionID)
		accepted(t, plain, withSid(nil))
	})
	t.Run("empty sid", func(t *testing.T) { rejected(t, checked, withSid(""), sessionguard.ErrMissingSessionID) })
	t.Run("revoked, also on a cache hit", func(t *testing.T) {
		tok := withSid("s-1")
		accepted(t, checked, tok) // verified and cached
		accepted(t, checked, tok) // a cache hit
		rc.revoke("s-1")
		rejected(t, checked, tok, sessionguard.ErrSessionRevoked)
		accepted(t, plain, tok) // a route that did not opt in
	})
	t.Run("revoked, from the cookie", func(t *testing.T) {
		s, err := checked.Check(context.Background(), atkCookie(withSid("s-1")))
		if s != nil || !errors.Is(err, sessionguard.ErrSessionRevoked) {
			t.Fatalf("got %s", atkDescribe(s, err))
		}
	})
	t.Run("registered claims are judged first", func(t *testing.T) {
		c := sgtest.Claims("iss", "u1", -time.Hour)
		c["sid"] = "s-1"
		s, err := checked.Check(context.Background(), bearer(k.Mint(c)))
		if s != nil || !errors.Is(err, sessionguard.ErrTokenExpired) {
			t.Fatalf("got %s", atkDescribe(s, err))
		}
	})
	t.Run("before the claim validators", func(t *testing.T) {
		g, err := v.Required(sessionguard.WithRevocationCheck(rc), sessionguard.WithClaims(sessionguard.Includes("roles", "admin")))
		if err != nil {
			t.Fatal(err)
		}
		rejected(t, g, withSid("s-1"), sessionguard.ErrSessionRevoked)
	})
	t.Run("verifier-wide", func(t *testing.T) {
		v2, err := sessionguard.New(sessionguard.WithIssuer("iss", sessionguard.StaticJWKS(sgtest.JWKS(k))),
			sessionguard.WithRevocationCheck(rc))
		if err != nil {
			t.Fatal(err)
		}
		g, _ := v2.Optional()
		rejected(t, g, withSid("s-1"), sessionguard.ErrSessionRevoked)
	})
	t.Run("nil checker", func(t *testing.T) {
		if _, err := v.Required(sessionguard.WithRevocationCheck(nil)); err == nil {
			t.Fatal("Required accepted a nil RevocationChecker")
		}
		if _, err := sessionguard.New(sessionguard.WithIssuer("iss", sessionguard.StaticJWKS(sgtest.JWKS(k))),
			sessionguard.WithRevocationCheck(nil)); err == nil {
			t.Fatal("New accepted a nil RevocationChecker")
		}
	})
}
