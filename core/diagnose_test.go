package sessionguard_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestDebugLogSaysWhyNoTokenWasSelected: at debug level the log says why a
// credential was treated as not sent, with a hint for the trailing-slash
// issuer mistake, and never contains a token.
func TestDebugLogSaysWhyNoTokenWasSelected(t *testing.T) {
	k := sgtest.NewKey("ES256", "d1")
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := atkStatic(t, []*sgtest.Key{k}, sessionguard.WithLogger(log))
	required, _ := v.Required()
	optional, _ := v.Optional()
	cookieOnly, _ := v.Required(sessionguard.WithTransfer(sessionguard.TransferCookie))
	good := k.Mint(atkClaims(atkIssA))
	slash := k.Mint(atkClaims(atkIssA + "/"))
	hs := sgtest.NewKey("HS256", "h").Mint(atkClaims(atkIssA))
	cases := []struct {
		name  string
		g     *sessionguard.Guard
		req   sessionguard.Request
		want  []string
		token string
	}{
		{"nothing sent", required, sessionguard.MapRequest{}, []string{"no Authorization field", "no cookie named access_token"}, ""},
		{"issuer with a trailing slash", required, atkBearer(slash),
			[]string{`iss=` + atkIssA + `/`, "not a configured issuer", "only by a trailing slash"}, slash},
		{"HS256 token", optional, atkBearer(hs), []string{"alg HS256 needs an HMACSecret key source"}, hs},
		{"alg none", required, atkBearer(atkRaw([]byte(`{"alg":"none"}`), atkJSON(atkClaims(atkIssA)), "")),
			[]string{"header=", "alg none is never accepted"}, ""},
		{"missing Bearer", required, sessionguard.MapRequest{Header: map[string][]string{"Authorization": {good}}},
			[]string{`not \"Bearer <token>\"`}, good},
		{"Basic scheme", optional, sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Basic eDp5"}}},
			[]string{"the scheme is Basic"}, ""},
		{"malformed", required, atkBearer("abc.def"), []string{"not a compact JWS"}, ""},
		{"oversize", required, atkBearer(good + strings.Repeat("A", 9<<10)), []string{"over the size cap of 8192"}, good},
		{"cookie of another issuer", optional, atkCookie(slash), []string{"cookie=", "only by a trailing slash"}, slash},
		{"header not read on a cookie route", cookieOnly, atkBearer(good), []string{"transfer method is cookie"}, good},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			buf.take()
			if s, _ := tc.g.Check(context.Background(), tc.req); s != nil {
				t.Fatal("a session")
			}
			got := buf.take()
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("log lacks %q:\n%s", w, got)
				}
			}
			if tc.token != "" && strings.Contains(got, tc.token[strings.LastIndexByte(tc.token, '.'):]) {
				t.Errorf("log contains the token:\n%s", got)
			}
		})
	}
}

// TestDiagnosticsCostNothingWhenDebugIsOff: the not-sent paths allocate no
// more with an Info-level logger than the outcome itself needs.
func TestDiagnosticsCostNothingWhenDebugIsOff(t *testing.T) {
	k := sgtest.NewKey("ES256", "d1")
	info := slog.New(slog.NewTextHandler(&syncBuffer{}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	v := atkStatic(t, []*sgtest.Key{k}, sessionguard.WithLogger(info))
	optional, _ := v.Optional()
	required, _ := v.Required()
	for name, req := range map[string]sessionguard.Request{
		"nothing":       sessionguard.MapRequest{},
		"basic":         sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Basic eDp5"}}},
		"not a JWS":     atkBearer("abc.def"),
		"cookie opaque": atkCookie("opaque-value"),
	} {
		for _, g := range []*sessionguard.Guard{optional, required} {
			if n := testing.AllocsPerRun(50, func() { _, _ = g.Check(context.Background(), req) }); n != 0 {
				t.Errorf("%s (required %v): %v allocations", name, g.IsRequired(), n)
			}
		}
	}
}
