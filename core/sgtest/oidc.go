package sgtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
)

// OIDCPath is where an OpenID Provider serves its configuration document.
const OIDCPath = "/.well-known/openid-configuration"

// OIDCServer is a fake OpenID Provider on a loopback httptest server: its
// configuration document at [OIDCPath] and its JWK Set at /jwks.json. The
// document names the server's URL as "issuer" and /jwks.json as
// "jwks_uri"; tests can change either, or the whole document, while it runs.
type OIDCServer struct {
	*httptest.Server
	mu        sync.Mutex
	issuer    string
	jwksURI   string
	doc       []byte // verbatim document, overriding issuer/jwksURI
	docStatus int
	keys      []byte
	docs      atomic.Int64
	jwks      atomic.Int64
}

// NewOIDCServer serves a configuration document and JWKS(keys...).
func NewOIDCServer(keys ...*Key) *OIDCServer {
	s := &OIDCServer{keys: JWKS(keys...), docStatus: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	s.issuer, s.jwksURI = s.Server.URL, s.Server.URL+"/jwks.json"
	return s
}

func (s *OIDCServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	issuer, jwksURI, doc, status, keys := s.issuer, s.jwksURI, s.doc, s.docStatus, s.keys
	s.mu.Unlock()
	switch r.URL.Path {
	case OIDCPath:
		s.docs.Add(1)
		if doc == nil {
			doc, _ = json.Marshal(map[string]any{
				"issuer": issuer, "jwks_uri": jwksURI,
				"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
			})
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(doc)
	case "/jwks.json":
		s.jwks.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(keys)
	default:
		http.NotFound(w, r)
	}
}

// Issuer is the issuer the document names (the server's URL by default).
func (s *OIDCServer) Issuer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuer
}

// SetIssuer changes the "issuer" of the document.
func (s *OIDCServer) SetIssuer(iss string) {
	s.mu.Lock()
	s.issuer = iss
	s.mu.Unlock()
}

// SetJWKSURI changes the "jwks_uri" of the document.
func (s *OIDCServer) SetJWKSURI(u string) {
	s.mu.Lock()
	s.jwksURI = u
	s.mu.Unlock()
}

// SetDocument serves doc verbatim as the configuration document (nil: back
// to the generated one).
func (s *OIDCServer) SetDocument(doc []byte) {
	s.mu.Lock()
	s.doc = doc
	s.mu.Unlock()
}

// SetDocumentStatus sets the status of the configuration document's response.
func (s *OIDCServer) SetDocumentStatus(code int) {
	s.mu.Lock()
	s.docStatus = code
	s.mu.Unlock()
}

// SetKeys replaces the served key set.
func (s *OIDCServer) SetKeys(keys ...*Key) {
	s.mu.Lock()
	s.keys = JWKS(keys...)
	s.mu.Unlock()
}

// DocumentFetches and JWKSFetches count the requests for each.
func (s *OIDCServer) DocumentFetches() int64 { return s.docs.Load() }

// JWKSFetches counts the requests for the key set.
func (s *OIDCServer) JWKSFetches() int64 { return s.jwks.Load() }
