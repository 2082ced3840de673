package sessionguard_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestViewsReadHeaderNamesCaseInsensitively: a view finds a field whatever
// the case of its name, and case variants of one name are the same field
// repeated, in a deterministic order (docs/semantics.md §2: two
// Authorization fields are INVALID_REQUEST, however they are spelled).
// HTTPRequest relies on net/http's canonical names (see
// TestHTTPRequestOverTheWire); the conformance suite's wire/ cases check
// every adapter with names in any case.
func TestViewsReadHeaderNamesCaseInsensitively(t *testing.T) {
	hdr := func() map[string][]string {
		return map[string][]string{
			"authorization": {"Bearer a"}, "AUTHORIZATION": {"Bearer b"}, "Authorization": {"Bearer c"},
			"sec-fetch-site": {"cross-site"},
		}
	}
	views := map[string]sessionguard.Request{
		"MapRequest": sessionguard.MapRequest{Header: hdr()},
	}
	for name, r := range views {
		t.Run(name, func(t *testing.T) {
			want := []string{"Bearer b", "Bearer c", "Bearer a"} // names in byte order
			for range 20 {
				if got := r.Values("Authorization"); !reflect.DeepEqual(got, want) {
					t.Fatalf("Values(Authorization) = %q, want %q", got, want)
				}
			}
			if got := r.Values("Sec-Fetch-Site"); !reflect.DeepEqual(got, []string{"cross-site"}) {
				t.Fatalf("Values(Sec-Fetch-Site) = %q", got)
			}
			if got := r.Values("Origin"); got != nil {
				t.Fatalf("Values(Origin) = %q", got)
			}
		})
	}
	k := sgtest.NewKey("ES256", "r1")
	v := atkStatic(t, []*sgtest.Key{k})
	g, _ := v.Optional()
	tok := k.Mint(atkClaims(atkIssA))
	for name, hdr := range map[string]map[string][]string{
		"authorization twice in two cases": {"authorization": {"Bearer " + tok}, "Authorization": {"Bearer " + tok}},
		"lower and upper case only":        {"authorization": {"Bearer " + tok}, "AUTHORIZATION": {"Bearer " + tok}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := g.Check(context.Background(), sessionguard.MapRequest{Header: hdr})
			if !errors.Is(err, sessionguard.ErrInvalidRequest) {
				t.Fatalf("got %v, want INVALID_REQUEST", err)
			}
		})
	}
	t.Run("lower-case sec-fetch-site still guards the cookie", func(t *testing.T) {
		_, err := g.Check(context.Background(), sessionguard.MapRequest{RequestMethod: "POST", Header: map[string][]string{
			"cookie": {"access_token=" + tok}, "sec-fetch-site": {"cross-site"}}})
		if !errors.Is(err, sessionguard.ErrCrossOriginRequest) {
			t.Fatalf("got %v, want CROSS_ORIGIN_REQUEST", err)
		}
	})
}

func TestFieldValues(t *testing.T) {
	block := "Host: api.example.test\r\n" +
		"authorization: Bearer a\r\n" +
		"X-Other: 1\r\n" +
		"AUTHORIZATION:Bearer b \t\r\n" +
		"Authorization : Bearer not-a-field-of-that-name\r\n" +
		"Cookie: a=1\n" +
		"cookie: b=2;\r\n" +
		"\t c=3\r\n" +
		"Sec-Fetch-Site:\r\n" +
		"\r\n" +
		"Authorization: Bearer after-the-end\r\n"
	cases := map[string][]string{
		"Authorization":  {"Bearer a", "Bearer b"},
		"Cookie":         {"a=1", "b=2; c=3"},
		"Sec-Fetch-Site": {""},
		"Origin":         nil,
		"Host":           {"api.example.test"},
	}
	for name, want := range cases {
		if got := sessionguard.FieldValues(block, name); !reflect.DeepEqual(got, want) {
			t.Errorf("FieldValues(%s) = %q, want %q", name, got, want)
		}
	}
	if got := sessionguard.FieldValues("", "Cookie"); got != nil {
		t.Errorf("empty block: %q", got)
	}
	if got := sessionguard.FieldValues(" folded: first\r\nA: b", "A"); !reflect.DeepEqual(got, []string{"b"}) {
		t.Errorf("leading fold: %q", got)
	}
}

// TestHTTPRequestOverTheWire: net/http canonicalises field names as it
// reads them, so HTTPRequest sees names sent in any case, and two spellings
// of Authorization as two fields.
func TestHTTPRequestOverTheWire(t *testing.T) {
	raw := "GET / HTTP/1.1\r\nHost: x\r\nauthorization: Bearer a\r\nAUTHORIZATION: Bearer b\r\nsec-fetch-site: cross-site\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	v := sessionguard.HTTPRequest{R: r}
	if got := v.Values("Authorization"); !reflect.DeepEqual(got, []string{"Bearer a", "Bearer b"}) {
		t.Fatalf("Values(Authorization) = %q", got)
	}
	if got := v.Values("Sec-Fetch-Site"); !reflect.DeepEqual(got, []string{"cross-site"}) {
		t.Fatalf("Values(Sec-Fetch-Site) = %q", got)
	}
}
