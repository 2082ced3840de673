package sessionguard_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestSessionAccessorsAndClaims(t *testing.T) {
	k := sgtest.NewKey("EdDSA", "s")
	v, _ := sessionguard.New(sessionguard.WithIssuer("https://iss", sessionguard.StaticJWKS(sgtest.JWKS(k))),
		sessionguard.WithAudience("api"))
	g, _ := v.Required()
	now := time.Now().Truncate(time.Second)
	tok := k.Mint(map[string]any{"iss": "https://iss", "sub": "u-1", "sid": "sess-9", "jti": "tok-1",
		"aud": []string{"web", "api"}, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"email": "a@example.com", "plan": map[string]any{"tier": "pro", "seats": 3}})
	s, err := g.Check(context.Background(), sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Subject() != "u-1" || s.SessionID() != "sess-9" || s.TokenID() != "tok-1" || s.Issuer() != "https://iss" ||
		strings.Join(s.Audience(), ",") != "web,api" || !s.IssuedAt().Equal(now) || !s.NotBefore().Equal(now) ||
		!s.Expiry().Equal(now.Add(time.Hour)) || s.Token() != tok || s.Source() != sessionguard.SourceHeader {
		t.Fatalf("accessors: %+v", s)
	}
	type myClaims struct {
		Email string `json:"email"`
		Plan  struct {
			Tier  string `json:"tier"`
			Seats int    `json:"seats"`
		} `json:"plan"`
	}
	c, err := sessionguard.Claims[myClaims](s)
	if err != nil || c.Email != "a@example.com" || c.Plan.Tier != "pro" || c.Plan.Seats != 3 {
		t.Fatalf("Claims: %+v %v", c, err)
	}
	raw, ok := s.Claim("plan")
	if !ok || string(raw) != `{"seats":3,"tier":"pro"}` {
		t.Fatalf("Claim: %s %v", raw, ok)
	}
	if _, ok := s.Claim("nope"); ok {
		t.Fatal("missing claim found")
	}
	ctx := sessionguard.NewContext(context.Background(), s)
	if got, ok := sessionguard.FromContext(ctx); !ok || got != s {
		t.Fatal("FromContext")
	}
	if _, ok := sessionguard.FromContext(context.Background()); ok {
		t.Fatal("FromContext on an empty context")
	}
}
