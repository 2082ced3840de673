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

// TestTimeClaimOrder: row 2 is judged for each well-formed time claim before
// a malformed one makes the token row 4 (docs/semantics.md §4 order).
func TestTimeClaimOrder(t *testing.T) {
	k := sgtest.NewKey("ES256", "o")
	v, _ := sessionguard.New(sessionguard.WithKeySource(sessionguard.StaticJWKS(sgtest.JWKS(k))))
	g, _ := v.Required()
	now := time.Now().Unix()
	cases := []struct {
		name   string
		claims map[string]any
		want   error
	}{
		{"expired-with-malformed-nbf", map[string]any{"sub": "u", "exp": now - 3600, "nbf": "soon"}, sessionguard.ErrTokenExpired},
		{"future-nbf-with-malformed-iat", map[string]any{"sub": "u", "exp": now + 3600, "nbf": now + 600, "iat": true}, sessionguard.ErrTokenNotYetValid},
		{"valid-exp-malformed-nbf", map[string]any{"sub": "u", "exp": now + 3600, "nbf": "soon"}, sessionguard.ErrMalformedClaims},
		{"malformed-exp", map[string]any{"sub": "u", "exp": "9999999999"}, sessionguard.ErrMalformedClaims},
		{"malformed-exp-future-nbf", map[string]any{"sub": "u", "exp": "x", "nbf": now + 600}, sessionguard.ErrTokenNotYetValid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := k.Mint(tc.claims)
			_, err := g.Check(context.Background(), sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
