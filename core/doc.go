// Package sessionguard decides, on every request, who the caller is from a
// short-term session token (a signed JWT), whichever way the token arrives:
// the Authorization: Bearer header or a cookie. It is the framework-neutral
// core of sessionguard; the adapters sessionhttp (net/http), sessiongin,
// sessionecho and sessionfiber make it native in each framework and behave
// identically (one conformance suite, [conformance.Run], proves it).
//
//	import sessionguard "github.com/sessionguard/sessionguard/core"
//
//	func protect(v *sessionguard.Verifier, next func(http.ResponseWriter, *sessionguard.Session)) (http.Handler, error) {
//		guard, err := v.Required() // or v.Optional(...)
//		if err != nil {
//			return nil, err
//		}
//		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			s, err := guard.Check(r.Context(), sessionguard.HTTPRequest{R: r})
//			if err != nil {
//				guard.Render(err).Write(w) // the default response of the outcome
//				return
//			}
//			next(w, s)
//		}), nil
//	}
//
// The package example "Readme" runs this code with a static key set; in
// production the key source is [RemoteJWKS] and the adapters do this for you.
//
// # Architecture
//
//	net/http   Gin    Echo    Fiber          adapters: build a Request view,
//	    \       |      |       /             call Guard.Check, store the
//	     \      |      |      /              Session, write Guard.Render
//	  ┌──────────────────────────────┐
//	  │ Request view (Method, Host,  │       no *http.Request needed
//	  │ Values(name))                │
//	  ├──────────────────────────────┤
//	  │ Guard: OPTIONS, duplicate    │       semantics §3: header before
//	  │ Authorization, selection,    │       cookie, no fallback after
//	  │ cross-origin check, marker   │       selection
//	  ├──────────────────────────────┤
//	  │ classify: Bearer, compact    │       §2: what counts as "our" token
//	  │ JWS shape, strict base64,    │
//	  │ strict JSON, alg, iss        │
//	  ├──────────────────────────────┤
//	  │ verified-token cache ──hit──▶│ Session
//	  ├──────────────────────────────┤
//	  │ key stores (per issuer):     │       §7: background JWKS fetch,
//	  │ kid lookup, alg = key alg    │       rate-limited refresh
//	  ├──────────────────────────────┤
//	  │ internal/jose (jwx v2):      │       the only jwx import
//	  │ JWK parsing, signatures      │
//	  ├──────────────────────────────┤
//	  │ claims: exp/nbf/iat, aud,    │       §4 rows 2, 4, then 5
//	  │ sub, validators              │
//	  └──────────────────────────────┘
//
// # Outcomes
//
// [Guard.Check] returns a [*Session], nothing (an optional route without a
// token, or an OPTIONS request), or an [*Error] whose [Code] is one of
// UNAUTHORISED, TRY_REFRESH_TOKEN, INVALID_CLAIMS, CROSS_ORIGIN_REQUEST,
// INVALID_REQUEST or KEYS_UNAVAILABLE. [Guard.Render] turns it into the
// default response of semantics §5 (or the one of [WithRenderer]).
//
// # Security behaviour
//
// Asymmetric algorithms only (HS* only with an explicit [HMACSecret]); "exp"
// required; keys bound to their issuer ([WithIssuer]); "jku", "jwk", "x5u"
// and "x5c" never used; "crit" and "b64":false refused; the header "alg"
// must match the key's; tokens over 8 KiB treated as not sent; cookie tokens
// on unsafe cross-origin requests refused; no token, kid or library error
// text ever reaches a response body or a log line. JWKS are fetched only
// over https (loopback excepted), with a timeout and size caps, in the
// background: construction never blocks, and requests whose kid is known
// never wait for the network.
package sessionguard
