package sessionguard

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestClassifyReasons: each way a credential is not ours has its reason
// (the debug log's), and a token of ours is classified as ours.
func TestClassifyReasons(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	v, err := New(WithIssuer("https://iss.test", StaticJWKS(sgtest.JWKS(k))))
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	claims := sgtest.Claims("https://iss.test", "u", time.Hour)
	good := k.Mint(claims)
	h, p, _ := strings.Cut(good, ".")
	p, _, _ = strings.Cut(p, ".")
	cases := []struct {
		name string
		cred string
		want notOurs
	}{
		{"ours", good, ours},
		{"oversize", good + strings.Repeat("A", DefaultMaxTokenSize), notSize},
		{"two segments", h + "." + p, notShape},
		{"padding", good + "=", notShape},
		{"empty header", "." + p + ".sig", notShape},
		{"header not base64url", "!!!." + p + ".x", notShape},
		{"header not canonical base64", h[:len(h)-1] + "B." + p + ".x", notHeader},
		{"header not JSON", enc([]byte("{")) + "." + p + ".x", notHeader},
		{"header an array", enc([]byte(`["alg"]`)) + "." + p + ".x", notHeader},
		{"kid not a string", enc([]byte(`{"alg":"ES256","kid":1}`)) + "." + p + ".x", notHeader},
		{"alg twice", enc([]byte(`{"alg":"ES256","alg":"ES256"}`)) + "." + p + ".x", notHeader},
		{"no alg", enc([]byte(`{"kid":"c1"}`)) + "." + p + ".x", notAlg},
		{"alg none", enc([]byte(`{"alg":"none"}`)) + "." + p + ".x", notAlg},
		{"alg HS256 without a secret", enc([]byte(`{"alg":"HS256"}`)) + "." + p + ".x", notAlg},
		{"alg a number", enc([]byte(`{"alg":256}`)) + "." + p + ".x", notAlg},
		{"payload not base64url", h + "." + p[:len(p)-1] + "_." + "x", notPayload},
		{"no iss", k.Mint(map[string]any{"sub": "u", "exp": 2e9}), notIss},
		{"iss a number", k.Mint(map[string]any{"iss": 1, "sub": "u", "exp": 2e9}), notIss},
		{"iss of another issuer", k.Mint(sgtest.Claims("https://iss.test/", "u", time.Hour)), notIssuer},
	}
	for _, tc := range cases {
		var tok token
		if got := v.classify(tc.cred, &tok); got != tc.want {
			t.Errorf("%s: classify = %d, want %d", tc.name, got, tc.want)
		}
	}
}
