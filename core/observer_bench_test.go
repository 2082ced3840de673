package sessionguard_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// countingObserver is the cheapest observer that does something: two
// atomic counters.
type countingObserver struct {
	sessionguard.NopObserver
	requests, lookups atomic.Int64
}

func (c *countingObserver) Request(sessionguard.RequestEvent)   { c.requests.Add(1) }
func (c *countingObserver) CacheLookup(sessionguard.CacheEvent) { c.lookups.Add(1) }

// BenchmarkObserver measures the observer hook on the cached path (the
// cheapest request, where a fixed cost shows most): none (the default), a
// NopObserver, and a counting observer. Compare ns/op within one run; see
// docs/observability.md.
func BenchmarkObserver(b *testing.B) {
	const iss = "https://auth.example.com"
	k := sgtest.NewKey("ES256", "k-ES256")
	claims := sgtest.Claims(iss, "user-1234567890", time.Hour)
	claims["sid"] = "session-abcdef"
	claims["aud"] = []string{"api.example.com"}
	tok := k.Mint(claims)
	req := sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}
	for _, tc := range []struct {
		name string
		obs  sessionguard.Observer
	}{
		{"cached/none", nil},
		{"cached/nop", sessionguard.NopObserver{}},
		{"cached/counting", &countingObserver{}},
	} {
		opts := []sessionguard.Option{
			sessionguard.WithIssuer(iss, sessionguard.StaticJWKS(sgtest.JWKS(k))),
			sessionguard.WithAudience("api.example.com"),
		}
		if tc.obs != nil {
			opts = append(opts, sessionguard.WithObserver(tc.obs))
		}
		v, err := sessionguard.New(opts...)
		if err != nil {
			b.Fatal(err)
		}
		g, _ := v.Required()
		ctx := context.Background()
		if _, err := g.Check(ctx, req); err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.Check(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
		v.Close()
	}
}
