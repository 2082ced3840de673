package sessionguard

import (
	"errors"
	"fmt"
	"strings"
)

// SuperTokens defaults.
const (
	// SuperTokensCookie is the access-token cookie of SuperTokens sessions.
	SuperTokensCookie = "sAccessToken"
	// SuperTokensSessionIDClaim is the claim that carries the session handle.
	SuperTokensSessionIDClaim = "sessionHandle"
	// DefaultSuperTokensAPIBasePath is SuperTokens' default apiBasePath.
	DefaultSuperTokensAPIBasePath = "/auth"
)

// SuperTokensOption configures the [SuperTokens] preset.
type SuperTokensOption interface {
	applySuperTokens(*superTokensConfig) error
}

type superTokensOption func(*superTokensConfig) error

func (f superTokensOption) applySuperTokens(c *superTokensConfig) error { return f(c) }

type superTokensConfig struct {
	basePath string
	remote   []RemoteOption
}

// WithSuperTokensAPIBasePath is the apiBasePath of the SuperTokens backend
// SDK's appInfo: the issuer is apiDomain + path and the JWKS is at
// apiDomain + path + "/jwt/jwks.json". Default
// [DefaultSuperTokensAPIBasePath] ("/auth"); "/" means none. It must start
// with "/"; a trailing "/" is ignored.
func WithSuperTokensAPIBasePath(path string) SuperTokensOption {
	return superTokensOption(func(c *superTokensConfig) error {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
			return fmt.Errorf("WithSuperTokensAPIBasePath: %q must start with / and have no query or fragment", path)
		}
		c.basePath = strings.TrimSuffix(path, "/")
		return nil
	})
}

// WithSuperTokensKeySet tunes the loading of the JWKS (timeout, refresh
// intervals, an HTTP client; see [RemoteJWKS]). Default: the defaults of
// RemoteJWKS.
func WithSuperTokensKeySet(opts ...RemoteOption) SuperTokensOption {
	return superTokensOption(func(c *superTokensConfig) error {
		if err := remoteOptionsOK("WithSuperTokensKeySet", opts); err != nil {
			return err
		}
		c.remote = append(c.remote, opts...)
		return nil
	})
}

// SuperTokens accepts SuperTokens session access tokens issued by the
// backend at apiDomain (the appInfo.apiDomain of the SuperTokens backend
// SDK, e.g. "https://api.example.com"; SuperTokens docs read 2026-12-01:
// "Manually verify the JWT" and the session recipe's appInfo reference;
// docs/providers.md):
//
//   - keys: the JWKS at <apiDomain><apiBasePath>/jwt/jwks.json, loaded in
//     the background as a [RemoteJWKS];
//   - issuer: <apiDomain><apiBasePath> ([WithSuperTokensAPIBasePath],
//     default "/auth");
//   - cookie: [SuperTokensCookie] ("sAccessToken"); header tokens
//     (Authorization: Bearer) are read first, as always;
//   - session id: the "sessionHandle" claim ([SuperTokensSessionIDClaim]) is
//     [Session.SessionID], and what [WithRevocationCheck] checks.
//
// Read the other SuperTokens claims with [Claims][[SuperTokensClaims]](s).
// SuperTokens' anti-CSRF token is not needed: the core's cross-origin check
// (semantics §6) protects cookie-carried tokens.
func SuperTokens(apiDomain string, opts ...SuperTokensOption) Option {
	return presetOption(func(c *config) error {
		domain, err := baseURL("SuperTokens: apiDomain", apiDomain, false)
		if err != nil {
			return err
		}
		sc := superTokensConfig{basePath: DefaultSuperTokensAPIBasePath}
		for _, o := range opts {
			if o == nil {
				return errors.New("SuperTokens: nil SuperTokensOption")
			}
			if err := o.applySuperTokens(&sc); err != nil {
				return fmt.Errorf("SuperTokens: %w", err)
			}
		}
		issuer := domain + sc.basePath
		src := RemoteJWKS(issuer+"/jwt/jwks.json", sc.remote...)
		if err := bindIssuers(c, src, []string{issuer}); err != nil {
			return fmt.Errorf("SuperTokens: %w", err)
		}
		c.ext.presets = append(c.ext.presets, preset{
			name:     "SuperTokens",
			issuers:  []string{issuer},
			cookies:  []string{SuperTokensCookie},
			sidClaim: SuperTokensSessionIDClaim,
		})
		return nil
	})
}

// SuperTokensClaims are SuperTokens-specific claims of a session access
// token, read with [Claims]. The user ID is [Session.Subject] and the
// session handle [Session.SessionID].
type SuperTokensClaims struct {
	// SessionHandle identifies the session (also [Session.SessionID]).
	SessionHandle string `json:"sessionHandle"`
	// TenantID is the tenant ("tId"; "public" for the default tenant).
	TenantID string `json:"tId"`
	// RecipeUserID is the login method's user ID ("rsub"), which differs
	// from the subject when accounts are linked.
	RecipeUserID string `json:"rsub"`
}
