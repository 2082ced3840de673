package sessionguard_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"net/http"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestPublicKeysSource checks the explicit-key source with and without kid.
func TestPublicKeysSource(t *testing.T) {
	k := sgtest.NewKey("ES256", "")
	pub := k.Public().(*ecdsa.PublicKey)
	v, err := sessionguard.New(sessionguard.WithIssuer("i", sessionguard.PublicKeys(sessionguard.PublicKey{Key: pub})))
	if err != nil {
		t.Fatal(err)
	}
	g, _ := v.Required()
	tok := k.Mint(sgtest.Claims("i", "u", time.Hour))
	if _, err := g.Check(context.Background(), sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}); err != nil {
		t.Fatal(err)
	}
}

func TestSmoke(t *testing.T) {
	k := sgtest.NewKey("ES256", "k1")
	srv := sgtest.NewJWKSServer(k)
	defer srv.Close()
	v, err := sessionguard.New(sessionguard.WithIssuer("iss", sessionguard.RemoteJWKS(srv.URL())))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := v.Required()
	tok := k.Mint(sgtest.Claims("iss", "u1", time.Minute))
	s, err := g.Check(ctx, sessionguard.MapRequest{Header: http.Header{"Authorization": {"bearer   " + tok}}})
	if err != nil || s.Subject() != "u1" || s.Source() != sessionguard.SourceHeader {
		t.Fatalf("%v %v", s, err)
	}
	exp := k.Mint(sgtest.Claims("iss", "u1", -time.Hour))
	_, err = g.Check(ctx, sessionguard.MapRequest{Header: http.Header{"Cookie": {"a=b; access_token=" + exp}}})
	if !errors.Is(err, sessionguard.ErrTryRefreshToken) || !errors.Is(err, sessionguard.ErrTokenExpired) {
		t.Fatal(err)
	}
}
