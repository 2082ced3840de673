package sessionguard

// Internal tests of the JWKS loader (jwksloader.go).

import (
	"testing"
	"time"
)

func TestMaxAge(t *testing.T) {
	year := 365 * DefaultMaxRefreshInterval
	cases := []struct {
		in   []string
		want time.Duration
	}{
		{nil, -1},
		{[]string{""}, -1},
		{[]string{"max-age=0"}, 0},
		{[]string{"max-age=60"}, time.Minute},
		{[]string{"MAX-AGE=60"}, time.Minute},
		{[]string{`max-age="60"`}, time.Minute},
		{[]string{"public, max-age=300, must-revalidate"}, 5 * time.Minute},
		{[]string{"public", "max-age=300"}, 5 * time.Minute},
		{[]string{"no-store"}, 0},
		{[]string{"no-cache"}, 0},
		{[]string{"max-age=300, no-store"}, 0},
		{[]string{"max-age=-1"}, -1},
		{[]string{"max-age=-99999999999"}, -1},
		{[]string{"max-age="}, -1},
		{[]string{"max-age"}, -1},
		{[]string{"max-age=abc"}, -1},
		{[]string{"max-age=1.5"}, -1},
		{[]string{"max-age=1e9"}, -1},
		{[]string{"max-age=0x10"}, -1},
		{[]string{"max-age=99999999999"}, year},
		{[]string{"max-age=9223372036854775807"}, year},   // would overflow time.Duration
		{[]string{"max-age=9223372036854775808"}, -1},     // not an int64
		{[]string{"max-age=99999999999999999999999"}, -1}, // not an int64
		{[]string{"s-maxage=60"}, -1},
		{[]string{",,,;=;"}, -1},
	}
	for _, c := range cases {
		if got := maxAge(c.in); got != c.want {
			t.Errorf("maxAge(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}
