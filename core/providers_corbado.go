package sessionguard

import (
	"errors"
	"fmt"
	"slices"
)

// Corbado's cookie names: the session-token cookie, and the name the
// short-term session cookie had before (still read by the preset, see
// [WithoutCorbadoLegacyCookie]).
const (
	CorbadoCookie       = "cbo_session_token"
	CorbadoLegacyCookie = "cbo_short_session"
)

// CorbadoOption configures the [Corbado] preset.
type CorbadoOption interface{ applyCorbado(*corbadoConfig) error }

type corbadoOption func(*corbadoConfig) error

func (f corbadoOption) applyCorbado(c *corbadoConfig) error { return f(c) }

type corbadoConfig struct {
	frontendAPI  string
	customDomain string
	remote       []RemoteOption
	noLegacy     bool
}

// WithCorbadoFrontendAPI sets the project's Frontend API URL, where the
// JWKS is fetched (<url>/.well-known/jwks) and which is also accepted as
// "iss". Default https://<projectID>.frontendapi.cloud.corbado.io. Use it for
// a regional or proxied Frontend API, or to point the preset at a local fake
// in tests (plain http only for a loopback host). Scheme and host only.
func WithCorbadoFrontendAPI(url string) CorbadoOption {
	return corbadoOption(func(c *corbadoConfig) error {
		u, err := baseURL("WithCorbadoFrontendAPI: URL", url, false)
		if err != nil {
			return err
		}
		c.frontendAPI = u
		return nil
	})
}

// WithCorbadoCustomDomain accepts tokens whose "iss" is the project's custom
// domain (the CNAME configured in Corbado's developer panel, e.g.
// "https://auth.example.com"), in addition to the Frontend API names. The
// keys are still fetched from the Frontend API. Default: no custom domain.
func WithCorbadoCustomDomain(url string) CorbadoOption {
	return corbadoOption(func(c *corbadoConfig) error {
		u, err := baseURL("WithCorbadoCustomDomain: URL", url, false)
		if err != nil {
			return err
		}
		c.customDomain = u
		return nil
	})
}

// WithCorbadoKeySet tunes the loading of the project's JWKS (timeout,
// refresh intervals, an HTTP client; see [RemoteJWKS]). Default: the
// defaults of RemoteJWKS.
func WithCorbadoKeySet(opts ...RemoteOption) CorbadoOption {
	return corbadoOption(func(c *corbadoConfig) error {
		if err := remoteOptionsOK("WithCorbadoKeySet", opts); err != nil {
			return err
		}
		c.remote = append(c.remote, opts...)
		return nil
	})
}

// WithoutCorbadoLegacyCookie reads only [CorbadoCookie], not the legacy
// [CorbadoLegacyCookie]. Default: both are read.
func WithoutCorbadoLegacyCookie() CorbadoOption {
	return corbadoOption(func(c *corbadoConfig) error { c.noLegacy = true; return nil })
}

// Corbado accepts Corbado session-tokens of one project (Corbado's session
// docs, read 2026-12-01: "Protecting routes", "session-token handling",
// "JWT security"; docs/providers.md):
//
//   - keys: the project's JWKS at <Frontend API>/.well-known/jwks, loaded
//     in the background as a [RemoteJWKS];
//   - issuers: https://<projectID>.frontendapi.corbado.io,
//     https://<projectID>.frontendapi.cloud.corbado.io, the configured
//     Frontend API ([WithCorbadoFrontendAPI]) and, if set, the custom domain
//     ([WithCorbadoCustomDomain]), all bound to that one key set;
//   - cookies: [CorbadoCookie] ("cbo_session_token"), then the legacy
//     [CorbadoLegacyCookie] ("cbo_short_session"); the Authorization: Bearer
//     header is read first, as always.
//
// Read the Corbado claims with [Claims][[CorbadoClaims]](s). The preset
// composes with other options as described in docs/providers.md; errors in
// projectID or opts are errors from [New].
func Corbado(projectID string, opts ...CorbadoOption) Option {
	return presetOption(func(c *config) error {
		if !corbadoProjectID(projectID) {
			return fmt.Errorf("Corbado: project ID %q must be 1 to 63 letters, digits or '-'", projectID)
		}
		var cc corbadoConfig
		for _, o := range opts {
			if o == nil {
				return errors.New("Corbado: nil CorbadoOption")
			}
			if err := o.applyCorbado(&cc); err != nil {
				return fmt.Errorf("Corbado: %w", err)
			}
		}
		if cc.frontendAPI == "" {
			cc.frontendAPI = "https://" + projectID + ".frontendapi.cloud.corbado.io"
		}
		issuers := []string{cc.frontendAPI}
		for _, iss := range []string{
			"https://" + projectID + ".frontendapi.corbado.io",
			"https://" + projectID + ".frontendapi.cloud.corbado.io",
			cc.customDomain,
		} {
			if iss != "" && !slices.Contains(issuers, iss) {
				issuers = append(issuers, iss)
			}
		}
		src := RemoteJWKS(cc.frontendAPI+"/.well-known/jwks", cc.remote...)
		if err := bindIssuers(c, src, issuers); err != nil {
			return fmt.Errorf("Corbado: %w", err)
		}
		p := preset{name: "Corbado", issuers: issuers, cookies: []string{CorbadoCookie, CorbadoLegacyCookie}}
		if cc.noLegacy {
			p.cookies = p.cookies[:1]
		}
		c.ext.presets = append(c.ext.presets, p)
		return nil
	})
}

// CorbadoClaims are the Corbado-specific claims of a session-token, read
// with [Claims]: claims, err := sessionguard.Claims[sessionguard.CorbadoClaims](s).
// The user ID is [Session.Subject]; expiry and issuer have their own
// methods. Fields are empty when the token does not carry them.
type CorbadoClaims struct {
	// Name is the user's full name.
	Name string `json:"name"`
	// Email is the user's email address (an identifier of the login).
	Email string `json:"email"`
	// PhoneNumber is the user's phone number.
	PhoneNumber string `json:"phone_number"`
	// Orig is Corbado's "orig" claim, passed on as given (the login
	// identifier the token originates from; docs/providers.md).
	Orig string `json:"orig"`
}

// corbadoProjectID accepts what can stand as a DNS label.
func corbadoProjectID(id string) bool {
	if id == "" || len(id) > 63 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
