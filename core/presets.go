package sessionguard

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Provider presets ([Corbado], [SuperTokens], [Auth0], [OIDC]) are plain
// bundles of the options a user could give by hand: issuers bound to one
// remote key set, cookie names, the session-id claim, an audience. They
// compose with the user's own options and with each other, and a conflict is
// an error from [New], never a setting silently lost (docs/providers.md):
//
//   - issuers add up; the same issuer twice (a preset and WithIssuer, or two
//     presets) is an error, as WithIssuer twice always is;
//   - cookie names add up: the preset's names are read as well as the ones
//     given with [WithCookie] (the default "access_token" is not read when a
//     preset names cookies and WithCookie is not given);
//   - audiences add up ([WithAudience]: any one of them must be in "aud");
//   - the session-id claim is set per issuer: a preset names it for its own
//     issuers ([SuperTokens]: "sessionHandle"), so presets with different
//     claims compose; [WithSessionIDClaim] sets it for every other issuer,
//     and naming a different claim than a preset is an error.

// extConfig is the part of a verifier's configuration that presets and
// observers add: resolved once every option has been applied.
type extConfig struct {
	observer    Observer
	sidClaim    string // WithSessionIDClaim; "" means "sid"
	sidClaimSet bool
	presets     []preset
	sidByIssuer map[string]string // resolved: a preset's claim for its issuers
}

// preset is what a provider bundle contributes beyond plain options.
type preset struct {
	name     string
	issuers  []string
	cookies  []string
	sidClaim string // "" : the verifier's (WithSessionIDClaim, else "sid")
}

// resolve merges the presets into the configuration (see the rules above).
// c.cookies is nil when WithCookie was not given.
func (x *extConfig) resolve(c *config) error {
	var cookies []string
	for _, p := range x.presets {
		for _, n := range p.cookies {
			if !slices.Contains(cookies, n) {
				cookies = append(cookies, n)
			}
		}
		if p.sidClaim == "" {
			continue
		}
		if x.sidClaimSet && x.sidClaim != p.sidClaim {
			return fmt.Errorf("%s names the session-id claim %q, but WithSessionIDClaim names %q", p.name, p.sidClaim, x.sidClaim)
		}
		if x.sidByIssuer == nil {
			x.sidByIssuer = make(map[string]string)
		}
		for _, iss := range p.issuers {
			x.sidByIssuer[iss] = p.sidClaim
		}
	}
	if cookies != nil {
		for _, n := range c.cookies { // the user's WithCookie names, if any
			if !slices.Contains(cookies, n) {
				cookies = append(cookies, n)
			}
		}
		c.cookies = cookies
	}
	return nil
}

// presetOption is the Option a provider bundle returns.
type presetOption func(*config) error

func (f presetOption) applyVerifier(c *config) error { return f(c) }

// bindIssuers applies WithIssuer(iss, src) for each issuer, so that every
// rule of WithIssuer (no duplicates) holds for presets too.
func bindIssuers(c *config, src *KeySource, issuers []string) error {
	for _, iss := range issuers {
		if err := WithIssuer(iss, src).applyVerifier(c); err != nil {
			return err
		}
	}
	return nil
}

// baseURL checks a provider base URL ("https://host[:port]", optionally
// with a path) and returns it without a trailing slash. Whether plain http
// is acceptable is the key source's rule (loopback only), checked by New.
func baseURL(what, raw string, pathAllowed bool) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("%s %q is not an absolute http(s) URL", what, raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%s %q must not have user info, a query or a fragment", what, raw)
	}
	if !pathAllowed && strings.Trim(u.Path, "/") != "" {
		return "", fmt.Errorf("%s %q must not have a path", what, raw)
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// remoteOptionsOK reports a nil RemoteOption early, with the preset's name.
func remoteOptionsOK(name string, opts []RemoteOption) error {
	for _, o := range opts {
		if o == nil {
			return fmt.Errorf("%s: nil RemoteOption", name)
		}
	}
	return nil
}
