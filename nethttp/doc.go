// Package sessionhttp verifies sessionguard session tokens in plain net/http
// (and in routers built on it: chi, gorilla/mux, http.ServeMux).
//
//	func newMux(v *sessionguard.Verifier) (*http.ServeMux, error) {
//		required, err := sessionhttp.Required(v)
//		if err != nil {
//			return nil, err
//		}
//		optional, err := sessionhttp.Optional(v, sessionguard.WithTransfer(sessionguard.TransferCookie))
//		if err != nil {
//			return nil, err
//		}
//		admin, err := sessionhttp.Required(v, sessionguard.WithClaims(sessionguard.Includes("roles", "admin")))
//		if err != nil {
//			return nil, err
//		}
//
//		mux := http.NewServeMux()
//		mux.Handle("/me", required(http.HandlerFunc(me)))   // Required returns a func(http.Handler) http.Handler
//		mux.Handle("/feed", optional(http.HandlerFunc(me))) // cookie only, anonymous allowed
//		mux.Handle("/admin/", admin(http.HandlerFunc(me)))  // roles must include "admin"
//		return mux, nil
//	}
//
//	func me(w http.ResponseWriter, r *http.Request) {
//		s, ok := sessionhttp.FromRequest(r) // same as sessionguard.FromContext(r.Context())
//		if !ok {
//			fmt.Fprintln(w, "anonymous") // only on optional routes
//			return
//		}
//		fmt.Fprintln(w, s.Subject(), s.Source())
//	}
//
// (The package example "Readme" runs this code.)
//
// [Required] answers requests without a usable session with the core's
// default response (401/403/400/503 and a JSON body, identical in every
// sessionguard adapter); [Optional] lets requests without any token through
// with no session but still refuses a token that was sent and failed.
//
// The adapter only translates: it hands the *http.Request to the core as a
// [sessionguard.Request] view, stores the session in the request context and
// writes the core's response. All parsing and every decision are the core's.
package sessionhttp
