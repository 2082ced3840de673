package sessionguard_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestNewRejectsBadConfiguration(t *testing.T) {
	k := sgtest.NewKey("ES256", "k")
	src := sessionguard.StaticJWKS(sgtest.JWKS(k))
	cases := map[string][]sessionguard.Option{
		"no key source":             nil,
		"nil option":                {nil},
		"issuer and unbound":        {sessionguard.WithIssuer("a", src), sessionguard.WithKeySource(src)},
		"empty issuer":              {sessionguard.WithIssuer("", src)},
		"nil source":                {sessionguard.WithIssuer("a", nil)},
		"duplicate issuer":          {sessionguard.WithIssuer("a", src), sessionguard.WithIssuer("a", src)},
		"zero source":               {sessionguard.WithIssuer("a", &sessionguard.KeySource{})},
		"alg none":                  {sessionguard.WithKeySource(src), sessionguard.WithAlgorithms("none")},
		"HS without secret":         {sessionguard.WithKeySource(src), sessionguard.WithAlgorithms("HS256")},
		"empty alg list":            {sessionguard.WithKeySource(src), sessionguard.WithAlgorithms()},
		"negative leeway":           {sessionguard.WithKeySource(src), sessionguard.WithLeeway(-time.Second)},
		"huge leeway":               {sessionguard.WithKeySource(src), sessionguard.WithLeeway(time.Hour)},
		"token cap too small":       {sessionguard.WithKeySource(src), sessionguard.WithMaxTokenSize(10)},
		"bad cookie name":           {sessionguard.WithKeySource(src), sessionguard.WithCookie("a;b")},
		"no cookie name":            {sessionguard.WithKeySource(src), sessionguard.WithCookie()},
		"bad marker":                {sessionguard.WithKeySource(src), sessionguard.WithRefreshMarker("")},
		"bad realm":                 {sessionguard.WithKeySource(src), sessionguard.WithRealm(`a"b`)},
		"bad trusted origin":        {sessionguard.WithKeySource(src), sessionguard.WithTrustedOrigins("https://a.example/path")},
		"bad transfer":              {sessionguard.WithKeySource(src), sessionguard.WithTransfer(sessionguard.Transfer(9))},
		"zero validator":            {sessionguard.WithKeySource(src), sessionguard.WithClaims(sessionguard.ClaimValidator{})},
		"nil renderer":              {sessionguard.WithKeySource(src), sessionguard.WithRenderer(nil)},
		"nil logger":                {sessionguard.WithKeySource(src), sessionguard.WithLogger(nil)},
		"http JWKS":                 {sessionguard.WithKeySource(sessionguard.RemoteJWKS("http://example.com/jwks"))},
		"relative JWKS URL":         {sessionguard.WithKeySource(sessionguard.RemoteJWKS("/jwks"))},
		"ftp JWKS":                  {sessionguard.WithKeySource(sessionguard.RemoteJWKS("ftp://example.com/jwks"))},
		"zero fetch timeout":        {sessionguard.WithKeySource(sessionguard.RemoteJWKS("https://example.com/jwks", sessionguard.WithFetchTimeout(0)))},
		"weak RSA key":              {sessionguard.WithKeySource(sessionguard.PublicKeys(sessionguard.PublicKey{Key: sgtest.NewWeakRSAKey(1024, "weak").Public()}))},
		"alg does not fit key":      {sessionguard.WithKeySource(sessionguard.PublicKeys(sessionguard.PublicKey{Algorithm: "RS256", Key: k.Public()}))},
		"short HMAC secret":         {sessionguard.WithKeySource(sessionguard.HMACSecret("", "HS256", []byte("short")))},
		"empty static JWKS":         {sessionguard.WithKeySource(sessionguard.StaticJWKS([]byte(`{"keys":[]}`)))},
		"garbage static JWKS":       {sessionguard.WithKeySource(sessionguard.StaticJWKS([]byte(`<html>`)))},
		"required claim no name":    {sessionguard.WithKeySource(src), sessionguard.WithRequiredClaim("", sessionguard.KindString)},
		"non-positive max lifetime": {sessionguard.WithKeySource(src), sessionguard.WithMaxLifetime(0)},
		"empty audience list":       {sessionguard.WithKeySource(src), sessionguard.WithAudience()},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			v, err := sessionguard.New(opts...)
			if err == nil {
				v.Close()
				t.Fatal("accepted")
			}
			if !strings.HasPrefix(err.Error(), "sessionguard: ") {
				t.Errorf("error without package prefix: %v", err)
			}
		})
	}
	v, err := sessionguard.New(sessionguard.WithKeySource(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Required(nil); err == nil {
		t.Error("nil route option accepted")
	}
	var nilV *sessionguard.Verifier
	if _, err := nilV.Optional(); err == nil {
		t.Error("nil verifier accepted")
	}
	var nilG *sessionguard.Guard
	if _, err := nilG.Check(context.Background(), sessionguard.MapRequest{}); !errors.Is(err, sessionguard.ErrUnauthorised) {
		t.Errorf("nil guard: %v", err)
	}
	if r := nilG.Render(errors.New("x")); r.Status != 401 {
		t.Errorf("nil guard render: %d", r.Status)
	}
}
