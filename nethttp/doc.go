// Package sessionhttp verifies sessionguard session tokens in plain net/http
// (and in routers built on it: chi, gorilla/mux, http.ServeMux).
//
//	v, err := sessionguard.New(sessionguard.WithIssuer(
//		"https://auth.example.com",
//		sessionguard.RemoteJWKS("https://auth.example.com/.well-known/jwks.json"),
//	))
//	requireSession, err := sessionhttp.Required(v)
//	mux.Handle("/me", requireSession(meHandler))
//
//	func meHandler(w http.ResponseWriter, r *http.Request) {
//		s, _ := sessionhttp.FromRequest(r) // or sessionguard.FromContext(r.Context())
//		fmt.Fprintln(w, s.Subject())
//	}
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
