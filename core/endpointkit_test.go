package sessionguard_test

import (
	"net/http"
	"strings"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestCookieValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  []string
	}{
		{"absent", nil, nil},
		{"one", []string{"a=1; rt=abc.def; b=2"}, []string{"abc.def"}},
		{"raw, no unescaping", []string{"rt=a%2Eb"}, []string{"a%2Eb"}},
		{"quotes removed once", []string{`rt=""x""`}, []string{`"x"`}},
		{"empty value", []string{"rt="}, []string{""}},
		{"no equals sign is not the cookie", []string{"rt"}, nil},
		{"name is case-sensitive", []string{"RT=1"}, nil},
		{"prefix of another name", []string{"rtx=1; xrt=2"}, nil},
		{"several, in order, across fields", []string{"rt=1; rt=2", "rt=3"}, []string{"1", "2", "3"}},
		{"at most four", []string{"rt=1; rt=2; rt=3; rt=4; rt=5"}, []string{"1", "2", "3", "4"}},
		{"whitespace around pairs", []string{" \trt=1 ;rt=2\t"}, []string{"1", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sessionguard.MapRequest{Header: map[string][]string{"Cookie": tc.lines}}
			got := sessionguard.CookieValues(r, "rt", nil)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := sessionguard.CookieValues(sessionguard.MapRequest{Header: map[string][]string{"Cookie": {"=1"}}}, "", nil); got != nil {
		t.Errorf("empty name: %q", got)
	}
	if got := sessionguard.CookieValues(nil, "rt", nil); got != nil {
		t.Errorf("nil request: %q", got)
	}
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []string
		cred   string
		n      int
		ok     bool
	}{
		{"absent", nil, "", 0, false},
		{"bearer", []string{"Bearer abc"}, "abc", 1, true},
		{"case and spaces", []string{"bEARER    abc"}, "abc", 1, true},
		{"no space", []string{"Bearerabc"}, "", 1, false},
		{"scheme only", []string{"Bearer "}, "", 1, false},
		{"basic", []string{"Basic abc"}, "", 1, false},
		{"two fields", []string{"Bearer a", "Bearer b"}, "", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sessionguard.MapRequest{Header: map[string][]string{"Authorization": tc.fields}}
			cred, n, ok := sessionguard.BearerToken(r)
			if cred != tc.cred || n != tc.n || ok != tc.ok {
				t.Errorf("got %q %d %v, want %q %d %v", cred, n, ok, tc.cred, tc.n, tc.ok)
			}
		})
	}
}

func TestCrossOriginAllowed(t *testing.T) {
	k := sgtest.NewKey("ES256", "k")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://i", sessionguard.StaticJWKS(sgtest.JWKS(k))),
		sessionguard.WithTrustedOrigins("https://trusted.example"))
	if err != nil {
		t.Fatal(err)
	}
	off, err := sessionguard.New(sessionguard.WithIssuer("https://i", sessionguard.StaticJWKS(sgtest.JWKS(k))),
		sessionguard.WithoutCrossOriginProtection())
	if err != nil {
		t.Fatal(err)
	}
	req := func(method string, h map[string][]string) sessionguard.Request {
		return sessionguard.MapRequest{RequestMethod: method, RequestHost: "api.example", Header: h}
	}
	for _, tc := range []struct {
		name       string
		r          sessionguard.Request
		v, offWant bool
	}{
		{"get cross-site", req("GET", map[string][]string{"Sec-Fetch-Site": {"cross-site"}}), true, true},
		{"post cross-site", req("POST", map[string][]string{"Sec-Fetch-Site": {"cross-site"}}), false, true},
		{"post same-origin", req("POST", map[string][]string{"Sec-Fetch-Site": {"same-origin"}}), true, true},
		{"post foreign origin", req("POST", map[string][]string{"Origin": {"https://evil.example"}}), false, true},
		{"post own origin", req("POST", map[string][]string{"Origin": {"https://api.example"}}), true, true},
		{"post trusted cross-site", req("POST", map[string][]string{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://trusted.example"}}), true, true},
		{"post no headers", req("POST", nil), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := v.CrossOriginAllowed(tc.r); got != tc.v {
				t.Errorf("on: %v, want %v", got, tc.v)
			}
			if got := off.CrossOriginAllowed(tc.r); got != tc.offWant {
				t.Errorf("off: %v, want %v", got, tc.offWant)
			}
		})
	}
	var nilV *sessionguard.Verifier
	if nilV.CrossOriginAllowed(req("GET", nil)) {
		t.Error("a nil verifier must refuse")
	}
}

func TestErrorResponse(t *testing.T) {
	k := sgtest.NewKey("ES256", "k")
	v, err := sessionguard.New(sessionguard.WithIssuer("https://i", sessionguard.StaticJWKS(sgtest.JWKS(k))),
		sessionguard.WithRealm("shop"), sessionguard.WithRetryAfter(7e9))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ch   sessionguard.Challenge
		want string
	}{
		{sessionguard.ChallengeNone, ""},
		{sessionguard.ChallengeBearer, `Bearer realm="shop"`},
		{sessionguard.ChallengeInvalidToken, `Bearer realm="shop", error="invalid_token"`},
		{sessionguard.ChallengeInvalidRequest, `Bearer realm="shop", error="invalid_request"`},
	} {
		r := v.ErrorResponse(http.StatusConflict, "SOME_CODE", `a "quoted" message`, tc.ch,
			sessionguard.HeaderField{Name: "allow", Value: "POST"})
		if r.Status != http.StatusConflict || string(r.Body) != `{"error":"SOME_CODE","message":"a \"quoted\" message"}` {
			t.Errorf("%d %s", r.Status, r.Body)
		}
		if r.Header.Get("Content-Type") != sessionguard.ContentTypeJSON || r.Header.Get("Allow") != "POST" {
			t.Errorf("header %v", r.Header)
		}
		if got := r.Header.Get("Www-Authenticate"); got != tc.want {
			t.Errorf("challenge %d: %q, want %q", tc.ch, got, tc.want)
		}
	}
	// The body shape and Content-Type are those of the default responses.
	def := v.DefaultResponse(&sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrNoToken})
	own := v.ErrorResponse(401, sessionguard.CodeUnauthorised, "A valid session is required.", sessionguard.ChallengeBearer)
	if string(def.Body) != string(own.Body) || def.Header.Get("Www-Authenticate") != own.Header.Get("Www-Authenticate") {
		t.Errorf("default %s %v, own %s %v", def.Body, def.Header, own.Body, own.Header)
	}
	if v.RetryAfter() != "7" {
		t.Errorf("RetryAfter %q", v.RetryAfter())
	}
	var nilV *sessionguard.Verifier
	if r := nilV.ErrorResponse(400, "X", "m", sessionguard.ChallengeBearer); r.Header.Get("Www-Authenticate") != `Bearer realm="api"` {
		t.Errorf("nil verifier: %v", r.Header)
	}
}

func TestAddToLeavesBodyFieldsOut(t *testing.T) {
	r := sessionguard.Response{Status: 200, Header: http.Header{
		"Content-Type": {"application/json"}, "Content-Length": {"2"},
		"Set-Cookie": {"a=1", "a=; Max-Age=0"}, "Cache-Control": {"no-store"},
	}}
	h := http.Header{"Set-Cookie": {"app=1"}, "Content-Type": {"text/html"}}
	r.AddTo(h)
	if strings.Join(h["Set-Cookie"], "|") != "app=1|a=1|a=; Max-Age=0" || h.Get("Cache-Control") != "no-store" ||
		strings.Join(h["Content-Type"], "|") != "text/html" || h.Get("Content-Length") != "" {
		t.Errorf("%v", h)
	}
}
