package sessionguard

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// The debug log says why no token was selected: the common integration
// mistakes (an issuer with or without a trailing slash, an HS256 token, a
// missing "Bearer ", a malformed token) would otherwise all read "no token
// was sent". Everything here runs only when debug logging is enabled, after
// the outcome is decided: the request path itself only returns a notOurs
// code, which costs nothing. Log lines carry the scheme, sizes, the alg and
// the iss (none of them secret), never a token.

// explain appends to attrs, per source, why nothing was selected.
func (g *Guard) explain(r Request, attrs []slog.Attr) []slog.Attr {
	v := g.v
	authz := r.Values("Authorization")
	switch {
	case len(authz) == 0:
		attrs = append(attrs, slog.String("header", "no Authorization field"))
	case g.cfg.transfer == TransferCookie:
		attrs = append(attrs, slog.String("header", "not read: the route's transfer method is cookie"))
	default:
		attrs = v.explainHeader(authz[0], attrs)
	}
	if g.cfg.transfer == TransferHeader {
		if len(r.Values("Cookie")) > 0 {
			attrs = append(attrs, slog.String("cookie", "not read: the route's transfer method is header"))
		}
		return attrs
	}
	var vals [maxCookieOccurrence]string
	found, marker := v.cookieValues(r, vals[:0])
	if len(found) == 0 {
		attrs = append(attrs, slog.String("cookie", fmt.Sprintf("no cookie named %s", strings.Join(v.cookies, " or "))))
	} else {
		attrs = v.explainCredential("cookie", found[0], attrs)
	}
	if marker {
		attrs = append(attrs, slog.String("refresh_marker", "sent"))
	}
	return attrs
}

func (v *Verifier) explainHeader(field string, attrs []slog.Attr) []slog.Attr {
	cred, ok := bearerCredentials(field)
	if !ok {
		scheme, _, _ := cutByte(field, ' ')
		msg := "not \"Bearer <token>\""
		if isToken(scheme) && len(scheme) <= 16 && !strings.EqualFold(scheme, "bearer") {
			msg += fmt.Sprintf(": the scheme is %s", scheme)
		} else if strings.EqualFold(scheme, "bearer") || strings.EqualFold(field, "bearer") {
			msg += ": no credentials after the scheme"
		}
		return append(attrs, slog.String("header", msg))
	}
	return v.explainCredential("header", cred, attrs)
}

// explainCredential says why cred is not ours; the key is "header" or
// "cookie".
func (v *Verifier) explainCredential(key, cred string, attrs []slog.Attr) []slog.Attr {
	var t token
	why := v.classify(cred, &t)
	var msg string
	switch why {
	case ours:
		return append(attrs, slog.String(key, "a token of ours (judged by its outcome)"))
	case notSize:
		msg = fmt.Sprintf("the token is %d bytes, over the size cap of %d (WithMaxTokenSize)", len(cred), v.maxTokenSize)
	case notShape:
		msg = "not a compact JWS: three base64url segments separated by dots, no padding or other characters"
	case notHeader:
		msg = "the protected header is not base64url-encoded JSON of one object without repeated members"
	case notAlg:
		msg = v.explainAlg(headerAlg(cred))
	case notPayload:
		msg = "the payload is not base64url"
	case notIss:
		msg = "the token has no \"iss\" string claim, and issuers are configured (WithIssuer)"
	case notIssuer:
		attrs = append(attrs, slog.String("iss", clip(t.claims.iss, 256)))
		msg = "\"iss\" is not a configured issuer (WithIssuer)"
		if hint := v.issuerHint(t.claims.iss); hint != "" {
			attrs = append(attrs, slog.String("hint", hint))
		}
	}
	return append(attrs, slog.String(key, "treated as not sent: "+msg))
}

// explainAlg says why alg is not allowed.
func (v *Verifier) explainAlg(alg string) string {
	allowed := strings.Join(v.algs, ", ")
	switch {
	case alg == "":
		return "the header has no \"alg\" string"
	case strings.EqualFold(alg, "none"):
		return "alg none is never accepted"
	case jose.IsSymmetric(alg) && !v.hasSecret():
		return fmt.Sprintf("alg %s needs an HMACSecret key source; allowed: %s", clip(alg, 16), allowed)
	}
	return fmt.Sprintf("alg %s is not allowed (WithAlgorithms); allowed: %s", clip(alg, 16), allowed)
}

func (v *Verifier) hasSecret() bool {
	for _, a := range v.algs {
		if jose.IsSymmetric(a) {
			return true
		}
	}
	return false
}

// issuerHint names a configured issuer that iss differs from only by a
// trailing slash or by case.
func (v *Verifier) issuerHint(iss string) string {
	for conf := range v.issuers {
		switch {
		case strings.TrimRight(conf, "/") == strings.TrimRight(iss, "/"):
			return fmt.Sprintf("differs from the configured issuer %q only by a trailing slash", conf)
		case strings.EqualFold(conf, iss):
			return fmt.Sprintf("differs from the configured issuer %q only in case", conf)
		}
	}
	return ""
}

// headerAlg reads the "alg" string of a compact JWS's header, or "".
func headerAlg(cred string) string {
	h, _, _ := cutByte(cred, '.')
	hdr, err := b64.DecodeString(h)
	if err != nil {
		return ""
	}
	it, ok := newObjIter(hdr)
	if !ok {
		return ""
	}
	for {
		rawName, val, more := it.next()
		if !more {
			return ""
		}
		if n, ok := memberName(rawName); ok && string(n) == "alg" {
			s, _ := jsonString(val)
			return s
		}
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
