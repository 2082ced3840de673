package sessionguard_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// The provider examples run against local fakes (sgtest) that serve each
// provider's documented JWKS path; in production leave out the base-URL
// option (Corbado) or pass the real domain.

// exampleCheck runs one request through a required guard and prints the
// outcome.
func exampleCheck(v *sessionguard.Verifier, req sessionguard.Request) *sessionguard.Session {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil { // a readiness probe would do this
		fmt.Println("not ready:", err)
		return nil
	}
	g, err := v.Required()
	if err != nil {
		fmt.Println(err)
		return nil
	}
	s, err := g.Check(ctx, req)
	if err != nil {
		fmt.Println("rejected:", err)
		return nil
	}
	return s
}

func ExampleCorbado() {
	key := sgtest.NewKey("RS256", "corbado-key")
	fake := sgtest.NewJWKSServerAt("/.well-known/jwks", key) // the project's Frontend API
	defer fake.Close()

	v, err := sessionguard.New(sessionguard.Corbado("pro-1234567890",
		sessionguard.WithCorbadoFrontendAPI(fake.Server.URL))) // production: leave this out
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	claims := sgtest.Claims(fake.Server.URL, "usr-42", time.Hour)
	claims["email"], claims["name"] = "ada@example.com", "Ada"
	req := sessionguard.MapRequest{Header: http.Header{"Cookie": {sessionguard.CorbadoCookie + "=" + key.Mint(claims)}}}
	if s := exampleCheck(v, req); s != nil {
		c, _ := sessionguard.Claims[sessionguard.CorbadoClaims](s)
		fmt.Println(s.Subject(), s.Source(), c.Name, c.Email)
	}
	// Output: usr-42 cookie Ada ada@example.com
}

func ExampleSuperTokens() {
	key := sgtest.NewKey("RS256", "s-key")
	fake := sgtest.NewJWKSServerAt("/auth/jwt/jwks.json", key) // the API server's JWKS
	defer fake.Close()

	v, err := sessionguard.New(sessionguard.SuperTokens(fake.Server.URL)) // appInfo.apiDomain
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	claims := sgtest.Claims(fake.Server.URL+"/auth", "user-7", time.Hour)
	claims["sessionHandle"], claims["tId"] = "3f1c-handle", "public"
	req := sessionguard.MapRequest{Header: http.Header{"Cookie": {sessionguard.SuperTokensCookie + "=" + key.Mint(claims)}}}
	if s := exampleCheck(v, req); s != nil {
		fmt.Println(s.Subject(), s.SessionID())
	}
	// Output: user-7 3f1c-handle
}

func ExampleAuth0() {
	key := sgtest.NewKey("RS256", "auth0-key")
	fake := sgtest.NewJWKSServerAt("/.well-known/jwks.json", key) // the tenant
	defer fake.Close()

	// Production: sessionguard.Auth0("example.eu.auth0.com", "https://api.example.com")
	v, err := sessionguard.New(sessionguard.Auth0(fake.Server.URL, "https://api.example.com"),
		sessionguard.WithTransfer(sessionguard.TransferHeader))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	claims := sgtest.Claims(fake.Server.URL+"/", "auth0|123", time.Hour) // "iss" ends in "/"
	claims["aud"] = []string{"https://api.example.com"}
	claims["scope"] = "read:orders write:orders"
	req := sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + key.Mint(claims)}}}
	if s := exampleCheck(v, req); s != nil {
		c, _ := sessionguard.Claims[sessionguard.Auth0Claims](s)
		fmt.Println(s.Subject(), c.Scopes())
	}
	// Output: auth0|123 [read:orders write:orders]
}

func ExampleOIDC() {
	key := sgtest.NewKey("ES256", "idp-key")
	idp := sgtest.NewOIDCServer(key) // serves /.well-known/openid-configuration and its jwks_uri
	defer idp.Close()

	v, err := sessionguard.New(sessionguard.OIDC(idp.Issuer()), sessionguard.WithAudience("my-api"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	claims := sgtest.Claims(idp.Issuer(), "alice", time.Hour)
	claims["aud"] = "my-api"
	req := sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + key.Mint(claims)}}}
	if s := exampleCheck(v, req); s != nil {
		fmt.Println(s.Subject())
	}
	// Output: alice
}
