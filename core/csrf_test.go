package sessionguard

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestCrossOriginMatchesStdlib runs the same requests through the core's
// check (over the neutral view) and net/http.CrossOriginProtection: they must
// agree on every case, so Fiber (which has no *http.Request) behaves exactly
// like the standard library.
func TestCrossOriginMatchesStdlib(t *testing.T) {
	const trusted = "https://trusted.example"
	std := http.NewCrossOriginProtection()
	if err := std.AddTrustedOrigin(trusted); err != nil {
		t.Fatal(err)
	}
	ours := crossOrigin{trusted: map[string]struct{}{trusted: {}}}

	type hdr = map[string]string
	cases := []struct {
		name, method, host string
		h                  hdr
	}{
		{"get-cross-site", "GET", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"head-cross-site", "HEAD", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"options-cross-site", "OPTIONS", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"post-no-headers", "POST", "api.example", nil},
		{"post-same-origin", "POST", "api.example", hdr{"Sec-Fetch-Site": "same-origin"}},
		{"post-none", "POST", "api.example", hdr{"Sec-Fetch-Site": "none"}},
		{"post-same-site", "POST", "api.example", hdr{"Sec-Fetch-Site": "same-site"}},
		{"post-cross-site", "POST", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"post-garbage-fetch-site", "POST", "api.example", hdr{"Sec-Fetch-Site": "bogus"}},
		{"put-cross-site", "PUT", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"delete-cross-site", "DELETE", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"patch-same-origin", "PATCH", "api.example", hdr{"Sec-Fetch-Site": "same-origin"}},
		{"custom-method-cross", "PROPFIND", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"lowercase-post-cross", "post", "api.example", hdr{"Sec-Fetch-Site": "cross-site"}},
		{"post-cross-site-trusted-origin", "POST", "api.example", hdr{"Sec-Fetch-Site": "cross-site", "Origin": trusted}},
		{"post-cross-site-untrusted-origin", "POST", "api.example", hdr{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}},
		{"post-origin-matches-host", "POST", "api.example", hdr{"Origin": "https://api.example"}},
		{"post-origin-http-matches-host", "POST", "api.example", hdr{"Origin": "http://api.example"}},
		{"post-origin-port-matches-host", "POST", "api.example:8443", hdr{"Origin": "https://api.example:8443"}},
		{"post-origin-port-differs", "POST", "api.example:8443", hdr{"Origin": "https://api.example"}},
		{"post-origin-other", "POST", "api.example", hdr{"Origin": "https://evil.example"}},
		{"post-origin-null", "POST", "api.example", hdr{"Origin": "null"}},
		{"post-origin-trusted", "POST", "api.example", hdr{"Origin": trusted}},
		{"post-origin-trusted-trailing-slash", "POST", "api.example", hdr{"Origin": trusted + "/"}},
		{"post-origin-unparseable", "POST", "api.example", hdr{"Origin": "https://[::1"}},
		{"post-origin-case-differs", "POST", "api.example", hdr{"Origin": "https://API.example"}},
		{"post-same-origin-overrides-evil-origin", "POST", "api.example", hdr{"Sec-Fetch-Site": "same-origin", "Origin": "https://evil.example"}},
		{"post-ipv6-host", "POST", "[::1]:8080", hdr{"Origin": "http://[::1]:8080"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://"+tc.host+"/x", nil)
			r.Host = tc.host
			for k, v := range tc.h {
				r.Header.Set(k, v)
			}
			want := std.Check(r) == nil
			got := ours.allowed(HTTPRequest{R: r})
			if got != want {
				t.Fatalf("core allows=%v, net/http allows=%v", got, want)
			}
		})
	}
	off := crossOrigin{disabled: true}
	r := httptest.NewRequest("POST", "http://api.example/x", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if !off.allowed(HTTPRequest{R: r}) {
		t.Fatal("disabled protection refused a request")
	}
}
