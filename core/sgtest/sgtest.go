// Package sgtest mints tokens and serves key sets for tests of code that
// uses sessionguard: the core's own tests, the conformance suite, the
// adapters, the benchmarks and the examples. It signs with the standard
// library only, so tests never depend on the verifier's own JOSE code to
// produce their inputs.
//
// Nothing here is for production: keys are generated in memory.
package sgtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Key is a signing key with its public JWK.
type Key struct {
	ID  string
	Alg string
	// Signer is the private key (*rsa.PrivateKey, *ecdsa.PrivateKey or
	// ed25519.PrivateKey); nil for HMAC keys.
	Signer crypto.Signer
	// Secret is the HMAC secret of HS* keys.
	Secret []byte
}

var (
	rsaMu   sync.Mutex
	rsaUsed = map[string]*rsa.PrivateKey{}
)

// rsaKey returns a distinct RSA key per name, generated once per process.
func rsaKey(bits int, name string) *rsa.PrivateKey {
	rsaMu.Lock()
	defer rsaMu.Unlock()
	id := fmt.Sprintf("%d/%s", bits, name)
	if k, ok := rsaUsed[id]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic("sgtest: " + err.Error()) // test helper: crypto/rand failing is fatal
	}
	rsaUsed[id] = k
	return k
}

// NewKey generates a key for alg ("RS256", "PS256", "ES256", "ES384",
// "ES512", "EdDSA", "HS256", ...) with the given kid. RSA keys are 2048 bits
// and generated once per (alg family, kid) per process.
func NewKey(alg, kid string) *Key {
	k := &Key{ID: kid, Alg: alg}
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		k.Signer = rsaKey(2048, kid)
	case "ES256":
		k.Signer = mustEC(elliptic.P256())
	case "ES384":
		k.Signer = mustEC(elliptic.P384())
	case "ES512":
		k.Signer = mustEC(elliptic.P521())
	case "EdDSA":
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		k.Signer = priv
	case "HS256", "HS384", "HS512":
		k.Secret = make([]byte, 32)
		_, _ = rand.Read(k.Secret)
	default:
		panic("sgtest: unsupported alg " + alg)
	}
	return k
}

// NewWeakRSAKey returns an RS256 key of the given size (for tests that a
// small key is refused).
func NewWeakRSAKey(bits int, kid string) *Key {
	return &Key{ID: kid, Alg: "RS256", Signer: rsaKey(bits, kid)}
}

func mustEC(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic("sgtest: " + err.Error())
	}
	return k
}

// Public returns the public key.
func (k *Key) Public() crypto.PublicKey {
	if k.Signer == nil {
		return nil
	}
	return k.Signer.Public()
}

// JWK returns the public JWK as a map (kid and alg included when set).
func (k *Key) JWK() map[string]any {
	m := map[string]any{}
	if k.ID != "" {
		m["kid"] = k.ID
	}
	if k.Alg != "" {
		m["alg"] = k.Alg
	}
	m["use"] = "sig"
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64(p.N.Bytes())
		m["e"] = b64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PublicKey:
		m["kty"] = "EC"
		m["crv"] = p.Curve.Params().Name
		size := (p.Curve.Params().BitSize + 7) / 8
		m["x"] = b64(p.X.FillBytes(make([]byte, size)))
		m["y"] = b64(p.Y.FillBytes(make([]byte, size)))
	case ed25519.PublicKey:
		m["kty"] = "OKP"
		m["crv"] = "Ed25519"
		m["x"] = b64(p)
	default:
		m["kty"] = "oct"
		m["k"] = b64(k.Secret)
	}
	return m
}

// JWKS returns a JWK Set document of the keys' public parts.
func JWKS(keys ...*Key) []byte {
	set := struct {
		Keys []map[string]any `json:"keys"`
	}{Keys: []map[string]any{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	b, _ := json.Marshal(set)
	return b
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Claims builds a typical payload: iss, sub, iat now, exp now+ttl.
func Claims(iss, sub string, ttl time.Duration) map[string]any {
	now := time.Now()
	return map[string]any{"iss": iss, "sub": sub, "iat": now.Unix(), "exp": now.Add(ttl).Unix()}
}

// Mint signs claims with the header {"alg","kid","typ":"JWT"}.
func (k *Key) Mint(claims map[string]any) string {
	h := map[string]any{"alg": k.Alg, "typ": "JWT"}
	if k.ID != "" {
		h["kid"] = k.ID
	}
	return k.SignJSON(mustJSON(h), mustJSON(claims))
}

// MintHeader signs claims with a header of the caller's choosing (alg is
// taken from the header map as given, even if it does not match the key).
func (k *Key) MintHeader(header, claims map[string]any) string {
	return k.SignJSON(mustJSON(header), mustJSON(claims))
}

// SignJSON signs raw header and payload JSON bytes with the key's own alg.
func (k *Key) SignJSON(header, payload []byte) string {
	input := b64(header) + "." + b64(payload)
	return input + "." + b64(k.Sign([]byte(input)))
}

// Sign returns the JWS signature of input for the key's alg.
func (k *Key) Sign(input []byte) []byte {
	var h hash.Hash
	var ch crypto.Hash
	switch k.Alg {
	case "RS256", "PS256", "ES256", "HS256":
		h, ch = sha256.New(), crypto.SHA256
	case "RS384", "PS384", "ES384", "HS384":
		h, ch = sha512.New384(), crypto.SHA384
	case "RS512", "PS512", "ES512", "HS512":
		h, ch = sha512.New(), crypto.SHA512
	case "EdDSA":
		sig, _ := k.Signer.(ed25519.PrivateKey)
		return ed25519.Sign(sig, input)
	}
	if k.Secret != nil {
		m := hmac.New(func() hash.Hash { return newHash(ch) }, k.Secret)
		m.Write(input)
		return m.Sum(nil)
	}
	h.Write(input)
	d := h.Sum(nil)
	switch p := k.Signer.(type) {
	case *rsa.PrivateKey:
		var sig []byte
		var err error
		if k.Alg[0] == 'P' {
			sig, err = rsa.SignPSS(rand.Reader, p, ch, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		} else {
			sig, err = rsa.SignPKCS1v15(rand.Reader, p, ch, d)
		}
		if err != nil {
			panic("sgtest: " + err.Error())
		}
		return sig
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, p, d)
		if err != nil {
			panic("sgtest: " + err.Error())
		}
		size := (p.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	}
	panic("sgtest: cannot sign with " + k.Alg)
}

func newHash(ch crypto.Hash) hash.Hash {
	switch ch {
	case crypto.SHA384:
		return sha512.New384()
	case crypto.SHA512:
		return sha512.New()
	}
	return sha256.New()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sgtest: " + err.Error())
	}
	return b
}

// JWKSServer is an httptest server serving a key set whose content, status,
// delay and headers tests can change while it runs. It counts fetches.
type JWKSServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	delay   time.Duration
	header  http.Header
	path    string // "" serves every path; else only this one (404 elsewhere)
	fetches atomic.Int64
}

// NewJWKSServer serves JWKS(keys...) with status 200.
func NewJWKSServer(keys ...*Key) *JWKSServer {
	s := &JWKSServer{body: JWKS(keys...), status: http.StatusOK, header: http.Header{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// NewJWKSServerAt serves JWKS(keys...) at path only (a provider's
// documented JWKS path, e.g. "/.well-known/jwks") and answers 404 elsewhere,
// so a test fails when a client asks at the wrong path. URL includes path.
func NewJWKSServerAt(path string, keys ...*Key) *JWKSServer {
	s := &JWKSServer{body: JWKS(keys...), status: http.StatusOK, header: http.Header{}, path: path}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *JWKSServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.path != "" && r.URL.Path != s.path {
		http.NotFound(w, r)
		return
	}
	s.fetches.Add(1)
	s.mu.Lock()
	body, status, delay := s.body, s.status, s.delay
	for k, v := range s.header {
		w.Header()[k] = v
	}
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// URL of the key set: the server's URL and its path ("/jwks.json" for
// [NewJWKSServer]).
func (s *JWKSServer) URL() string {
	if s.path != "" {
		return s.Server.URL + s.path
	}
	return s.Server.URL + "/jwks.json"
}

// SetKeys replaces the served set.
func (s *JWKSServer) SetKeys(keys ...*Key) { s.SetBody(JWKS(keys...)) }

// SetBody replaces the served body verbatim.
func (s *JWKSServer) SetBody(b []byte) {
	s.mu.Lock()
	s.body = b
	s.mu.Unlock()
}

// SetStatus sets the response status.
func (s *JWKSServer) SetStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

// SetDelay delays every response.
func (s *JWKSServer) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetHeader sets a response header (e.g. Cache-Control).
func (s *JWKSServer) SetHeader(name, value string) {
	s.mu.Lock()
	s.header.Set(name, value)
	s.mu.Unlock()
}

// Fetches is how many requests the server has received.
func (s *JWKSServer) Fetches() int64 { return s.fetches.Load() }
