package sessionguard

import (
	"errors"
	"fmt"
	"strings"
)

// Auth0Option configures the [Auth0] preset.
type Auth0Option interface{ applyAuth0(*auth0Config) error }

type auth0Option func(*auth0Config) error

func (f auth0Option) applyAuth0(c *auth0Config) error { return f(c) }

type auth0Config struct {
	remote []RemoteOption
}

// WithAuth0KeySet tunes the loading of the tenant's JWKS (timeout, refresh
// intervals, an HTTP client; see [RemoteJWKS]). Default: the defaults of
// RemoteJWKS.
func WithAuth0KeySet(opts ...RemoteOption) Auth0Option {
	return auth0Option(func(c *auth0Config) error {
		if err := remoteOptionsOK("WithAuth0KeySet", opts); err != nil {
			return err
		}
		c.remote = append(c.remote, opts...)
		return nil
	})
}

// Auth0 accepts the access tokens that an Auth0 tenant issues for one API
// (Auth0 docs read 2026-12-01: "Validate Access Tokens", "Locate JSON Web
// Key Sets"; docs/providers.md):
//
//   - domain: the tenant's domain ("example.eu.auth0.com", or a custom
//     domain), or its base URL ("https://example.eu.auth0.com"; plain http
//     only for a loopback host, as in tests against a local fake);
//   - issuer: "https://<domain>/", with the trailing slash Auth0 puts in "iss";
//   - keys: https://<domain>/.well-known/jwks.json, as a [RemoteJWKS];
//   - audience: the API's identifier, required (an access token for another
//     API of the same tenant is refused with [CodeUnauthorised]); more with
//     [WithAudience]. The audience applies to every issuer of the verifier,
//     so give other providers' tokens their own verifier unless they carry
//     it too.
//
// Auth0 access tokens travel in the Authorization header; add
// WithTransfer([TransferHeader]) to ignore cookies altogether. Read scope and
// permissions with [Claims][[Auth0Claims]](s).
func Auth0(domain, audience string, opts ...Auth0Option) Option {
	return presetOption(func(c *config) error {
		if audience == "" {
			return errors.New("Auth0: the API audience is required")
		}
		raw := domain
		if !strings.Contains(raw, "://") {
			raw = "https://" + raw
		}
		base, err := baseURL("Auth0: domain", raw, false)
		if err != nil {
			return err
		}
		var ac auth0Config
		for _, o := range opts {
			if o == nil {
				return errors.New("Auth0: nil Auth0Option")
			}
			if err := o.applyAuth0(&ac); err != nil {
				return fmt.Errorf("Auth0: %w", err)
			}
		}
		src := RemoteJWKS(base+"/.well-known/jwks.json", ac.remote...)
		if err := bindIssuers(c, src, []string{base + "/"}); err != nil {
			return fmt.Errorf("Auth0: %w", err)
		}
		if err := WithAudience(audience).applyVerifier(c); err != nil {
			return fmt.Errorf("Auth0: %w", err)
		}
		c.ext.presets = append(c.ext.presets, preset{name: "Auth0", issuers: []string{base + "/"}})
		return nil
	})
}

// Auth0Claims are Auth0-specific claims of an access token, read with
// [Claims]. Check them with [WithClaims] validators (e.g. a permission).
type Auth0Claims struct {
	// Scope is the space-separated list of granted scopes.
	Scope string `json:"scope"`
	// Permissions lists the API permissions (with RBAC's "Add Permissions
	// in the Access Token" setting on).
	Permissions []string `json:"permissions"`
	// AuthorizedParty is the client ID of the application ("azp").
	AuthorizedParty string `json:"azp"`
}

// Scopes splits [Auth0Claims.Scope].
func (c Auth0Claims) Scopes() []string { return strings.Fields(c.Scope) }
