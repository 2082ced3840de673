package sessionguard_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestValidators(t *testing.T) {
	k := sgtest.NewKey("ES256", "v")
	v, _ := sessionguard.New(sessionguard.WithKeySource(sessionguard.StaticJWKS(sgtest.JWKS(k))))
	c := sgtest.Claims("i", "u", time.Hour)
	c["roles"] = []string{"user", "editor"}
	c["scope"] = "read"
	c["level"] = 3
	tok := k.Mint(c)
	req := sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}
	cases := []struct {
		name string
		val  sessionguard.ClaimValidator
		ok   bool
	}{
		{"includes-one", sessionguard.Includes("roles", "editor"), true},
		{"includes-all", sessionguard.Includes("roles", "editor", "user"), true},
		{"includes-missing-value", sessionguard.Includes("roles", "editor", "admin"), false},
		{"includes-any", sessionguard.IncludesAny("roles", "admin", "user"), true},
		{"includes-any-none", sessionguard.IncludesAny("roles", "admin", "owner"), false},
		{"string-claim", sessionguard.Includes("scope", "read"), true},
		{"missing-claim", sessionguard.Includes("perms", "x"), false},
		{"wrong-type", sessionguard.Includes("level", "3"), false},
		{"func-ok", sessionguard.ClaimFunc("level", "level too low", func(s *sessionguard.Session) bool {
			raw, _ := s.Claim("level")
			return string(raw) == "3"
		}), true},
		{"func-fail", sessionguard.ClaimFunc("level", "level too low", func(*sessionguard.Session) bool { return false }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := v.Required(sessionguard.WithClaims(tc.val))
			if err != nil {
				t.Fatal(err)
			}
			_, err = g.Check(context.Background(), req)
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			var e *sessionguard.Error
			if !tc.ok && (!errors.As(err, &e) || e.Code != sessionguard.CodeInvalidClaims || len(e.Claims) != 1 || e.Claims[0].ID != tc.val.ID()) {
				t.Fatalf("failure = %#v", err)
			}
		})
	}
	// Verifier-wide validators run before a route's, and both are reported.
	v2, _ := sessionguard.New(sessionguard.WithKeySource(sessionguard.StaticJWKS(sgtest.JWKS(k))),
		sessionguard.WithClaims(sessionguard.Includes("roles", "admin")))
	g2, _ := v2.Required(sessionguard.WithClaims(sessionguard.Includes("perms", "x")))
	_, err := g2.Check(context.Background(), req)
	var e *sessionguard.Error
	if !errors.As(err, &e) || len(e.Claims) != 2 || e.Claims[0].ID != "roles" || e.Claims[1].ID != "perms" {
		t.Fatalf("combined validators: %#v", err)
	}
}
