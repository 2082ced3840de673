package sessionguard

// Internal tests of the OpenID Provider configuration parser (discovery.go).

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseDiscovery(t *testing.T) {
	const iss = "https://idp.example.test"
	cases := []struct {
		name                string
		doc                 string
		overHTTPS, insecure bool
		want                string // jwks_uri, or "" for a refusal
		class               string
	}{
		{"ok", `{"issuer":"https://idp.example.test","jwks_uri":"https://idp.example.test/keys"}`, true, false, "https://idp.example.test/keys", ""},
		{"loopback-http-from-http", `{"issuer":"https://idp.example.test","jwks_uri":"http://127.0.0.1:8080/keys"}`, false, false, "http://127.0.0.1:8080/keys", ""},
		{"loopback-http-from-https", `{"issuer":"https://idp.example.test","jwks_uri":"http://127.0.0.1:8080/keys"}`, true, false, "", "plain http named by a document fetched over https"},
		{"insecure-does-not-allow-downgrade", `{"issuer":"https://idp.example.test","jwks_uri":"http://keys.example.test/"}`, true, true, "", "plain http"},
		{"insecure-from-http", `{"issuer":"https://idp.example.test","jwks_uri":"http://keys.example.test/"}`, false, true, "http://keys.example.test/", ""},
		{"trailing-slash-differs", `{"issuer":"https://idp.example.test/","jwks_uri":"https://idp.example.test/keys"}`, true, false, "", "issuer mismatch"},
		{"case-differs", `{"issuer":"https://IDP.example.test","jwks_uri":"https://idp.example.test/keys"}`, true, false, "", "issuer mismatch"},
		{"issuer-null", `{"issuer":null,"jwks_uri":"https://idp.example.test/keys"}`, true, false, "", "issuer mismatch"},
		{"issuer-number", `{"issuer":1,"jwks_uri":"https://idp.example.test/keys"}`, true, false, "", `no "issuer" string`},
		{"array", `[]`, true, false, "", "not a JSON object"},
		{"null", `null`, true, false, "", "not a JSON object"},
		{"jwks-uri-empty", `{"issuer":"https://idp.example.test","jwks_uri":""}`, true, false, "", `no "jwks_uri" string`},
		{"jwks-uri-opaque", `{"issuer":"https://idp.example.test","jwks_uri":"https:keys"}`, true, false, "", "not an absolute URL"},
		{"jwks-uri-ftp", `{"issuer":"https://idp.example.test","jwks_uri":"ftp://idp.example.test/keys"}`, true, false, "", "jwks_uri refused"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, lerr := parseDiscovery([]byte(tc.doc), iss, tc.overHTTPS, tc.insecure)
			if tc.want != "" {
				if lerr != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, lerr, tc.want)
				}
				return
			}
			if lerr == nil || !strings.Contains(lerr.class, tc.class) || lerr.source != "OIDC discovery" {
				t.Fatalf("got %q, %v; want a refusal %q", got, lerr, tc.class)
			}
		})
	}
}

// FuzzParseDiscovery: any body is judged without a panic, and an accepted
// one names the configured issuer and an absolute http(s) jwks_uri that the
// https rule allows.
func FuzzParseDiscovery(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://idp.example.test","jwks_uri":"https://idp.example.test/keys"}`), true)
	f.Add([]byte(`{"issuer":"https://idp.example.test","jwks_uri":"http://[::1]/k","issuer":"x"}`), false)
	f.Add([]byte(`{"issuer":"https://idp.example.test","jwks_uri":"http://localhost/k"}`), false)
	f.Fuzz(func(t *testing.T, body []byte, overHTTPS bool) {
		const iss = "https://idp.example.test"
		got, lerr := parseDiscovery(body, iss, overHTTPS, false)
		if lerr != nil {
			if got != "" {
				t.Fatalf("refusal with a URI %q", got)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Host == "" || allowedURL(u, false) != nil || (overHTTPS && u.Scheme != "https") {
			t.Fatalf("accepted jwks_uri %q", got)
		}
	})
}
