package sessionissuer

import (
	"context"
	"errors"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

func TestLoaderMatchesJWKS(t *testing.T) {
	clk := newTestClock()
	m := newTestManager(t, newKeyStore(), clk, keyConfig{Rotation: time.Hour})
	mustStep(t, m)
	clk.Advance(time.Hour - m.lead)
	mustStep(t, m) // a successor is published
	doc, maxAge := m.jwks()
	if maxAge != 10*time.Minute {
		t.Fatalf("max-age %v", maxAge)
	}
	keys, ttl, err := m.loader().LoadKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ttl != m.reload || ttl > maxAge {
		t.Fatalf("loader max-age %v, reload %v", ttl, m.reload)
	}
	kids := jwksKids(t, doc)
	if len(keys) != 2 || len(kids) != 2 {
		t.Fatalf("%d keys, %d in the JWKS", len(keys), len(kids))
	}
	for i, k := range keys {
		if k.ID != kids[i] || k.Algorithm != "ES256" || k.Key == nil {
			t.Fatalf("key %d: %+v vs %s", i, k, kids[i])
		}
	}
	// The JWKS is cached, and a caller changing its copy changes nothing.
	doc[0] = 'X'
	again, _ := m.jwks()
	if again[0] != '{' {
		t.Fatal("the cached JWKS was changed through a returned slice")
	}
	// Past the first key's unpublish time both views drop it.
	clk.Advance(m.lead + m.cfg.AccessTTL + 31*time.Second)
	doc, _ = m.jwks()
	keys, _, _ = m.loader().LoadKeys(context.Background())
	if len(jwksKids(t, doc)) != 1 || len(keys) != 1 || keys[0].ID != kids[1] {
		t.Fatalf("after unpublish: %s, %d keys", doc, len(keys))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := m.loader().LoadKeys(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("done context: %v", err)
	}
}

// The loader feeds a core verifier in process (sessionguard.FromLoader).
func TestLoaderFeedsCore(t *testing.T) {
	clk := newTestClock()
	m := newTestManager(t, newKeyStore(), clk, keyConfig{Alg: "EdDSA"})
	mustStep(t, m)
	vf, err := sessionguard.New(sessionguard.WithIssuer(testIssuer, sessionguard.FromLoader(m.loader())), sessionguard.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer vf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := vf.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := vf.Required()
	tok, _ := m.sign(ctx, claimsAt(clk.Now(), time.Minute))
	if _, err := g.Check(ctx, sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok}}}); err != nil {
		t.Fatalf("in-process verifier: %v", err)
	}
}
