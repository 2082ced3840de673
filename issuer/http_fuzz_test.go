package sessionissuer_test

import (
	"context"
	"strings"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// FuzzRefreshEndpoint feeds arbitrary Authorization and Cookie fields and
// methods to the refresh and logout endpoints: never a panic, only the
// outcomes of docs/http.md, and never an input echoed into a body.
func FuzzRefreshEndpoint(f *testing.F) {
	for _, s := range [][3]string{
		{"POST", "Bearer abc.def", "refresh_token=abc.def"},
		{"POST", "bearer  " + strings.Repeat("A", 22) + "." + strings.Repeat("B", 75), ""},
		{"POST", "", `refresh_token="x"; refresh_token=y`},
		{"GET", "Basic x", "a=b"},
		{"POST", "Bearer a.b.c", "refresh_token=\x00\xff"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	iss, v := newHTTPIssuer(f, sessionissuer.NewMemoryStore(), nil)
	m, err := iss.Mount(v)
	if err != nil {
		f.Fatal(err)
	}
	allowed := map[int]bool{200: true, 204: true, 400: true, 401: true, 403: true, 405: true, 503: true}
	f.Fuzz(func(t *testing.T, method, authz, cookie string) {
		h := map[string][]string{}
		if authz != "" {
			h["Authorization"] = []string{authz}
		}
		if cookie != "" {
			h["Cookie"] = []string{cookie}
		}
		r := sessionguard.MapRequest{RequestMethod: method, RequestHost: "api.example", Header: h}
		for _, e := range []sessionguard.Endpoint{m.Refresh(), m.Logout()} {
			resp := e.ServeEndpoint(context.Background(), r)
			if !allowed[resp.Status] {
				t.Fatalf("status %d", resp.Status)
			}
			body := string(resp.Body)
			for _, in := range []string{authz, cookie} {
				if len(in) > 8 && strings.Contains(body, in) {
					t.Fatalf("input echoed: %s", body)
				}
			}
		}
	})
}
