package sessionguard

import (
	"reflect"
	"testing"
)

func TestBearerCredentials(t *testing.T) {
	cases := []struct {
		in, cred string
		ok       bool
	}{
		{"Bearer a.b.c", "a.b.c", true},
		{"bearer a.b.c", "a.b.c", true},
		{"BEARER    a.b.c", "a.b.c", true},
		{"Bearer\ta.b.c", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer    ", "", false},
		{"Bearera.b.c", "", false},
		{"Basic a.b.c", "", false},
		{"Bearer a.b.c ", "a.b.c ", true}, // left to the shape check, which refuses it
		{"", "", false},
	}
	for _, tc := range cases {
		cred, ok := bearerCredentials(tc.in)
		if cred != tc.cred || ok != tc.ok {
			t.Errorf("bearerCredentials(%q) = %q, %v; want %q, %v", tc.in, cred, ok, tc.cred, tc.ok)
		}
	}
}

func TestCookieValues(t *testing.T) {
	v := &Verifier{cookies: []string{"access_token", "at2"}, marker: "refresh_marker"}
	cases := []struct {
		header string
		want   []string
		marker bool
	}{
		{"access_token=x", []string{"x"}, false},
		{"a=1; access_token=x;at2=y", []string{"x", "y"}, false},
		{`access_token="x"`, []string{"x"}, false},
		{`access_token=""x""`, []string{`"x"`}, false},
		{"access_token = x", nil, false},
		{"access_token= x", []string{" x"}, false},
		{"  access_token=x  ;", []string{"x"}, false},
		{"access_token", nil, false},
		{"refresh_marker=1", nil, true},
		{"refresh_marker", nil, true},
		{"access_token=1;access_token=2;access_token=3;access_token=4;access_token=5", []string{"1", "2", "3", "4"}, false},
		{"Access_Token=x", nil, false}, // cookie names are case-sensitive
	}
	for _, tc := range cases {
		var buf [maxCookieOccurrence]string
		got, marker := v.cookieValues(cookieReq(tc.header), buf[:0])
		if len(got) == 0 {
			got = nil
		}
		if !reflect.DeepEqual(got, tc.want) || marker != tc.marker {
			t.Errorf("cookieValues(%q) = %q, %v; want %q, %v", tc.header, got, marker, tc.want, tc.marker)
		}
	}
}
