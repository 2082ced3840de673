package sessionguard_test

import (
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestTokenType: with WithTokenType, an ID token of the same issuer and keys
// is refused (row 4), whatever else it gets right.
func TestTokenType(t *testing.T) {
	k := sgtest.NewKey("RS256", "t1")
	typed := atkStatic(t, []*sgtest.Key{k}, sessionguard.WithTokenType("at+jwt"))
	untyped := atkStatic(t, []*sgtest.Key{k})
	withTyp := func(typ any) string {
		h := map[string]any{"alg": "RS256", "kid": "t1"}
		if typ != nil {
			h["typ"] = typ
		}
		return k.MintHeader(h, atkClaims(atkIssA))
	}
	wrong := atkUnauth(sessionguard.ErrTokenType)
	atkRun(t, typed, []atkCase{
		{"at+jwt", withTyp("at+jwt"), atkSession},
		{"upper case", withTyp("AT+JWT"), atkSession},
		{"with the application/ prefix", withTyp("application/at+jwt"), atkSession},
		{"prefix in mixed case", withTyp("Application/AT+jwt"), atkSession},
		{"escaped", k.SignJSON([]byte(`{"alg":"RS256","kid":"t1","typ":"at\u002bjwt"}`), atkJSON(atkClaims(atkIssA))), atkSession},
		{"an ID token (JWT)", withTyp("JWT"), wrong},
		{"no typ", withTyp(nil), wrong},
		{"typ not a string", withTyp(1), wrong},
		{"typ null", k.SignJSON([]byte(`{"alg":"RS256","kid":"t1","typ":null}`), atkJSON(atkClaims(atkIssA))), wrong},
		{"another prefix", withTyp("text/at+jwt"), wrong},
		{"a prefix of the type", withTyp("at+jw"), wrong},
		{"with a parameter", withTyp("at+jwt;v=1"), wrong},
		{"typ twice is ambiguous", k.SignJSON([]byte(`{"alg":"RS256","kid":"t1","typ":"JWT","typ":"at+jwt"}`), atkJSON(atkClaims(atkIssA))), atkNotOurs},
		{"expiry is judged first", k.MintHeader(map[string]any{"alg": "RS256", "kid": "t1", "typ": "JWT"}, atkClaims(atkIssA, "exp", atkNow.Unix()-3600)), atkRefresh(sessionguard.ErrTokenExpired)},
		{"the signature is judged first", withTyp("JWT")[:len(withTyp("JWT"))-4] + "AAAA", atkRefresh(sessionguard.ErrSignatureInvalid)},
	})
	atkRun(t, untyped, []atkCase{
		{"off by default: JWT", withTyp("JWT"), atkSession},
		{"off by default: no typ", withTyp(nil), atkSession},
		{"off by default: typ twice", k.SignJSON([]byte(`{"alg":"RS256","kid":"t1","typ":"JWT","typ":"x"}`), atkJSON(atkClaims(atkIssA))), atkSession},
	})
	full := atkStatic(t, []*sgtest.Key{k}, sessionguard.WithTokenType("application/AT+JWT", "vnd.example+jwt"))
	atkRun(t, full, []atkCase{
		{"configured with the prefix", withTyp("at+jwt"), atkSession},
		{"second type", withTyp("application/vnd.example+jwt"), atkSession},
	})
	for name, opt := range map[string]sessionguard.Option{
		"empty list":     sessionguard.WithTokenType(),
		"empty type":     sessionguard.WithTokenType(""),
		"with parameter": sessionguard.WithTokenType("at+jwt; q=1"),
		"two slashes":    sessionguard.WithTokenType("a/b/c"),
		"space":          sessionguard.WithTokenType("at jwt"),
	} {
		t.Run("refused/"+name, func(t *testing.T) {
			if v, err := sessionguard.New(sessionguard.WithKeySource(sessionguard.StaticJWKS(sgtest.JWKS(k))), opt); err == nil {
				v.Close()
				t.Fatal("accepted")
			}
		})
	}
}
