package sessionguard_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// Attack tests: hostile tokens and requests, each with its exact outcome
// (docs/semantics.md §2 classification, §4 outcome table), across the
// pipeline stages. Every case is checked on a required and on an optional
// guard (atkExpect, helpers_test.go): a token that is "not ours" is no
// session on the optional guard and UNAUTHORISED/ErrNoToken on the required
// one; every other outcome is the same on both.

func TestAttackAlgNone(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK})
	payload := atkJSON(atkClaims(atkIssA))
	var cases []atkCase
	for _, alg := range []string{"none", "None", "NONE", "nOnE", "none ", " none", "", "none\u0000"} {
		q := strconv.Quote(alg)
		cases = append(cases,
			atkCase{"alg " + q + " empty signature", atkRaw(atkJSON(map[string]any{"alg": alg, "typ": "JWT"}), payload, ""), atkNotOurs},
			atkCase{"alg " + q + " with kid, empty signature", atkRaw(atkJSON(map[string]any{"alg": alg, "kid": "rsa-1"}), payload, ""), atkNotOurs},
			atkCase{"alg " + q + " with null signature", atkRaw(atkJSON(map[string]any{"alg": alg}), payload, "AAAA"), atkNotOurs},
			atkCase{"alg " + q + " signed by the real key", rsaK.SignJSON(atkJSON(map[string]any{"alg": alg, "kid": "rsa-1"}), payload), atkNotOurs},
		)
	}
	for _, hdr := range []string{
		`{"kid":"rsa-1"}`,
		`{"alg":null,"kid":"rsa-1"}`,
		`{"alg":256,"kid":"rsa-1"}`,
		`{"alg":["RS256"],"kid":"rsa-1"}`,
		`{"alg":{"name":"RS256"},"kid":"rsa-1"}`,
		`{"alg":"rs256","kid":"rsa-1"}`,
		`{"alg":"RS256\u0000","kid":"rsa-1"}`,
		`{"alg":"HS256","kid":"rsa-1"}`,
		`{"alg":"RSA-OAEP","kid":"rsa-1"}`,
		`{"alg":"ES256K","kid":"rsa-1"}`,
	} {
		cases = append(cases, atkCase{"header " + hdr, rsaK.SignJSON([]byte(hdr), payload), atkNotOurs})
	}
	cases = append(cases,
		atkCase{"RS256 with empty signature is ours and fails", atkRaw(atkHdr(rsaK), payload, ""), atkRefresh(sessionguard.ErrSignatureInvalid)},
		atkCase{"control: RS256 signed", rsaK.SignJSON(atkHdr(rsaK), payload), atkSession},
	)
	atkRun(t, v, cases)
}

func TestAttackSignatures(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	ecK := sgtest.NewKey("ES256", "ec-1")
	edK := sgtest.NewKey("EdDSA", "ed-1")
	evilRSA := atkAs(sgtest.NewKey("RS256", "rsa-evil"), "RS256", "rsa-1")
	evilEC := atkAs(sgtest.NewKey("ES256", "x"), "ES256", "ec-1")
	v := atkStatic(t, []*sgtest.Key{rsaK, ecK, edK})

	claims := atkClaims(atkIssA)
	rsaTok := rsaK.Mint(claims)
	ecTok := ecK.Mint(claims)
	edTok := edK.Mint(claims)
	rh, rp, rs := atkSplit(rsaTok)
	eh, ep, es := atkSplit(ecTok)
	dh, dp, _ := atkSplit(edTok)
	rsig, _ := base64.RawURLEncoding.DecodeString(rs)
	flipped := append([]byte(nil), rsig...)
	flipped[len(flipped)/2] ^= 0x01

	// An ES256 signature in ASN.1 DER form instead of r||s.
	digest := sha256.Sum256([]byte(eh + "." + ep))
	der, err := ecdsa.SignASN1(rand.Reader, ecK.Signer.(*ecdsa.PrivateKey), digest[:])
	if err != nil {
		t.Fatal(err)
	}
	// r = s = n (the curve order): a "psychic signature" shape.
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	// A valid signature of a different payload, spliced onto an admin payload.
	adminP := atkB64(atkJSON(atkClaims(atkIssA, "sub", "admin")))

	atkRun(t, v, []atkCase{
		{"control: RS256", rsaTok, atkSession},
		{"control: ES256", ecTok, atkSession},
		{"control: EdDSA", edTok, atkSession},
		{"RS256 empty signature", rh + "." + rp + ".", atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 all-zero signature", rh + "." + rp + "." + atkB64(make([]byte, 256)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 one zero byte", rh + "." + rp + ".AA", atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 bit flipped", rh + "." + rp + "." + atkB64(flipped), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 truncated by one byte", rh + "." + rp + "." + atkB64(rsig[:len(rsig)-1]), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 truncated by one char (not base64)", rh + "." + rp + "." + rs[:len(rs)-1], atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 truncated to half", rh + "." + rp + "." + rs[:len(rs)/2], atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 extended by a byte", rh + "." + rp + "." + atkB64(append(append([]byte(nil), rsig...), 0)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 signature of another key under the same kid", evilRSA.Mint(claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"RS256 signature spliced onto another payload", rh + "." + adminP + "." + rs, atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"ES256 all-zero signature", eh + "." + ep + "." + atkB64(make([]byte, 64)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"ES256 r=s=n", eh + "." + ep + "." + atkB64(append(append([]byte(nil), n...), n...)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"ES256 DER-encoded signature", eh + "." + ep + "." + atkB64(der), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"ES256 truncated", eh + "." + ep + "." + es[:len(es)-4], atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"ES256 signature of another key under the same kid", evilEC.Mint(claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"ES256 header with the RS256 signature", eh + "." + ep + "." + rs, atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"EdDSA all-zero signature", dh + "." + dp + "." + atkB64(make([]byte, 64)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"EdDSA empty signature", dh + "." + dp + ".", atkRefresh(sessionguard.ErrSignatureInvalid)},
		// The signature is judged before any claim (docs/semantics.md §4).
		{"expired claims and bad signature", evilRSA.Mint(atkClaims(atkIssA, "exp", atkNow.Unix()-3600)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"not-yet-valid claims and bad signature", evilRSA.Mint(atkClaims(atkIssA, "nbf", atkNow.Unix()+3600)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"missing exp and bad signature", evilRSA.Mint(atkClaims(atkIssA, "exp", atkDel)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"malformed exp and bad signature", evilRSA.Mint(atkClaims(atkIssA, "exp", "9999999999")), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"missing sub and bad signature", evilRSA.Mint(atkClaims(atkIssA, "sub", atkDel)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"non-object payload and bad signature", evilRSA.SignJSON(atkHdr(evilRSA), []byte(`[1,2]`)), atkNotOurs}, // no iss: not ours
	})
}

func TestAttackKeyConfusion(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	pub := rsaK.Public().(*rsa.PublicKey)
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PublicKey(pub)
	secrets := []struct {
		name string
		b    []byte
	}{
		{"PKIX PEM", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})},
		{"PKCS1 PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1})},
		{"PKIX DER", pkix},
		{"PKCS1 DER", pkcs1},
		{"JWK n bytes", pub.N.Bytes()},
		{"JWK n base64url", []byte(atkB64(pub.N.Bytes()))},
		{"JWK JSON", atkJSON(rsaK.JWK())},
		{"JWKS JSON", sgtest.JWKS(rsaK)},
	}
	hs := func(secret []byte, kid, iss string) string {
		return (&sgtest.Key{ID: kid, Alg: "HS256", Secret: secret}).Mint(atkClaims(iss))
	}

	t.Run("HS not allowed by default", func(t *testing.T) {
		v := atkStatic(t, []*sgtest.Key{rsaK})
		var cases []atkCase
		for _, s := range secrets {
			cases = append(cases,
				atkCase{s.name + " with kid", hs(s.b, "rsa-1", atkIssA), atkNotOurs},
				atkCase{s.name + " without kid", hs(s.b, "", atkIssA), atkNotOurs},
			)
		}
		cases = append(cases, atkCase{"control: RS256", rsaK.Mint(atkClaims(atkIssA)), atkSession})
		atkRun(t, v, cases)
	})

	t.Run("HS allowed for another issuer", func(t *testing.T) {
		// Issuer B has a shared secret, so HS256 is in the allow-list; the
		// RSA key of issuer A must still never serve as an HMAC secret.
		secretB := bytes.Repeat([]byte("k"), 32)
		v := atkNew(t,
			sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(rsaK))),
			sessionguard.WithIssuer(atkIssB, sessionguard.HMACSecret("hs-1", "HS256", secretB)),
		)
		var cases []atkCase
		for _, s := range secrets {
			cases = append(cases,
				atkCase{s.name + " with the RSA kid", hs(s.b, "rsa-1", atkIssA), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
				atkCase{s.name + " without kid", hs(s.b, "", atkIssA), atkRefresh(sessionguard.ErrSignatureInvalid)},
				atkCase{s.name + " with issuer B's kid", hs(s.b, "hs-1", atkIssA), atkRefresh(sessionguard.ErrUnknownKey)},
				atkCase{s.name + " as issuer B", hs(s.b, "hs-1", atkIssB), atkRefresh(sessionguard.ErrSignatureInvalid)},
			)
		}
		cases = append(cases,
			atkCase{"issuer B's secret for an issuer A token", hs(secretB, "rsa-1", atkIssA), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			atkCase{"control: issuer B HS256", hs(secretB, "hs-1", atkIssB), atkSession},
			atkCase{"control: issuer A RS256", rsaK.Mint(atkClaims(atkIssA)), atkSession},
		)
		atkRun(t, v, cases)
	})

	t.Run("HS or none cannot be forced without a secret", func(t *testing.T) {
		for _, algs := range [][]string{{"HS256"}, {"RS256", "HS512"}, {"none"}, {"None"}} {
			_, err := sessionguard.New(
				sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(rsaK))),
				sessionguard.WithAlgorithms(algs...),
			)
			if err == nil {
				t.Errorf("WithAlgorithms(%v) without an HMAC secret: want an error", algs)
			}
		}
	})
}

func TestAttackAlgKeyMismatch(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	ecK := sgtest.NewKey("ES256", "ec-1")
	edK := sgtest.NewKey("EdDSA", "ed-1")
	p384 := sgtest.NewKey("ES384", "p384")
	claims := atkClaims(atkIssA)

	t.Run("JWK alg pinned", func(t *testing.T) {
		v := atkStatic(t, []*sgtest.Key{rsaK, ecK, edK})
		atkRun(t, v, []atkCase{
			{"PS256 header, genuine PS256 signature by the RS256 key", atkAs(rsaK, "PS256", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"RS384 header, genuine RS384 signature by the RS256 key", atkAs(rsaK, "RS384", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"RS512 header, genuine RS512 signature by the RS256 key", atkAs(rsaK, "RS512", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"PS512 header on the RS256 key", atkAs(rsaK, "PS512", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"ES384 header on the P-256 key, P-384 signature", atkAs(p384, "ES384", "ec-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"ES384 header on the P-256 key, P-256 signature", ecK.MintHeader(map[string]any{"alg": "ES384", "kid": "ec-1"}, claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"ES512 header on the P-256 key", ecK.MintHeader(map[string]any{"alg": "ES512", "kid": "ec-1"}, claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"ES256 header with the RSA kid", atkAs(ecK, "ES256", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"RS256 header with the EC kid", atkAs(rsaK, "RS256", "ec-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"EdDSA header with the EC kid", atkAs(edK, "EdDSA", "ec-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"ES256 header with the Ed25519 kid", atkAs(ecK, "ES256", "ed-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"PS256 header without kid: no PS256 key", atkAs(rsaK, "PS256", "").Mint(claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"ES384 header without kid: no P-384 key", atkAs(p384, "ES384", "").Mint(claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"control: RS256", rsaK.Mint(claims), atkSession},
			{"control: ES256", ecK.Mint(claims), atkSession},
		})
	})

	t.Run("key without alg", func(t *testing.T) {
		v := atkNew(t, sessionguard.WithIssuer(atkIssA, sessionguard.PublicKeys(
			sessionguard.PublicKey{ID: "rsa-1", Key: rsaK.Public()},
			sessionguard.PublicKey{ID: "ec-1", Key: ecK.Public()},
		)))
		rsH, _, _ := atkSplit(rsaK.Mint(claims))
		_, psP, psS := atkSplit(atkAs(rsaK, "PS256", "rsa-1").Mint(claims))
		atkRun(t, v, []atkCase{
			{"PS256 on an RSA key without alg", atkAs(rsaK, "PS256", "rsa-1").Mint(claims), atkSession},
			{"RS512 on an RSA key without alg", atkAs(rsaK, "RS512", "rsa-1").Mint(claims), atkSession},
			{"RS256 header over a PS256 signature", rsH + "." + psP + "." + psS, atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"ES384 header on a P-256 key without alg", atkAs(p384, "ES384", "ec-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"ES256 header on an RSA key without alg", atkAs(ecK, "ES256", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
			{"EdDSA header on an RSA key without alg", atkAs(edK, "EdDSA", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrAlgorithmMismatch)},
		})
	})
}

// atkSelfSigned returns a self-signed certificate (DER) for k.
func atkSelfSigned(t *testing.T, k *sgtest.Key) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "attacker"},
		NotBefore:    atkNow.Add(-time.Hour),
		NotAfter:     atkNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestAttackEmbeddedKeyHeaders(t *testing.T) {
	legitK := sgtest.NewKey("ES256", "ec-1")
	evilK := sgtest.NewKey("ES256", "evil-1")
	legit := sgtest.NewJWKSServer(legitK)
	defer legit.Close()
	evil := sgtest.NewJWKSServer(evilK)
	defer evil.Close()

	v := atkNew(t, sessionguard.WithIssuer(atkIssA, sessionguard.RemoteJWKS(legit.URL())))
	atkReady(t, v)

	cert := atkSelfSigned(t, evilK)
	certSum := sha256.Sum256(cert)
	claims := atkClaims(atkIssA, "sub", "admin")
	hdr := func(kid string, kv ...any) map[string]any {
		h := map[string]any{"alg": "ES256", "typ": "JWT"}
		if kid != "" {
			h["kid"] = kid
		}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i].(string)] = kv[i+1]
		}
		return h
	}
	evilJWK := evilK.JWK()
	legitJWK := legitK.JWK()
	evilJWKS := evil.URL()
	x5c := []string{base64.StdEncoding.EncodeToString(cert)}

	atkRun(t, v, []atkCase{
		{"jwk of the attacker, legit kid", evilK.MintHeader(hdr("ec-1", "jwk", evilJWK), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"jwk of the attacker, no kid", evilK.MintHeader(hdr("", "jwk", evilJWK), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"jwk of the attacker, attacker kid", evilK.MintHeader(hdr("evil-1", "jwk", evilJWK), claims), atkRefresh(sessionguard.ErrUnknownKey)},
		{"jwk claiming to be the legit key", evilK.MintHeader(hdr("ec-1", "jwk", legitJWK), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"jku to the attacker set, attacker kid", evilK.MintHeader(hdr("evil-1", "jku", evilJWKS), claims), atkRefresh(sessionguard.ErrUnknownKey)},
		{"jku to the attacker set, legit kid", evilK.MintHeader(hdr("ec-1", "jku", evilJWKS), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"jku to the attacker set, no kid", evilK.MintHeader(hdr("", "jku", evilJWKS), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"x5u to the attacker server", evilK.MintHeader(hdr("ec-1", "x5u", evil.Server.URL+"/cert.pem"), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"x5u to the attacker server, attacker kid", evilK.MintHeader(hdr("evil-1", "x5u", evil.Server.URL+"/cert.pem"), claims), atkRefresh(sessionguard.ErrUnknownKey)},
		{"x5c of the attacker, no kid", evilK.MintHeader(hdr("", "x5c", x5c), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"x5c and x5t#S256 of the attacker", evilK.MintHeader(hdr("ec-1", "x5c", x5c, "x5t#S256", atkB64(certSum[:])), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"jwk, jku, x5u and x5c together", evilK.MintHeader(hdr("ec-1", "jwk", evilJWK, "jku", evilJWKS, "x5u", evil.Server.URL, "x5c", x5c), claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"control: legit key with an attacker jku is still judged by the legit set", legitK.MintHeader(hdr("ec-1", "jku", evilJWKS), claims), atkSession},
	})
	if n := evil.Fetches(); n != 0 {
		t.Errorf("the attacker's server received %d requests, want 0", n)
	}
	// Unknown kids trigger one refresh of the legit set (the first load plus
	// one), never more: the clock is fixed, so that refresh stays recent and
	// the unknown-kid budget spent (docs/keysets.md).
	if n := legit.Fetches(); n != 2 {
		t.Errorf("the legit JWKS was fetched %d times, want 2", n)
	}
}

func TestAttackKidInjection(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	srv := sgtest.NewJWKSServer(rsaK)
	defer srv.Close()
	v := atkNew(t, sessionguard.WithIssuer(atkIssA, sessionguard.RemoteJWKS(srv.URL())))
	atkReady(t, v)
	claims := atkClaims(atkIssA)
	withKid := func(kid string) string { return atkAs(rsaK, "RS256", kid).Mint(claims) }

	var cases []atkCase
	for _, kid := range []string{
		"../../etc/passwd",
		"../../../../../../dev/null",
		"/etc/passwd",
		"file:///etc/passwd",
		"' OR 1=1 --",
		"rsa-1' OR '1'='1",
		"\u0000",
		"rsa-1\u0000",
		"\u0000rsa-1",
		" rsa-1",
		"rsa-1 ",
		"RSA-1",
		"rsa-1\n",
		"%00",
		"${jndi:ldap://evil.example/a}",
		"<script>alert(1)</script>",
		"\u202e1-asr",
		"\ufeffrsa-1",
		strings.Repeat("A", 4000),
		strings.Repeat("../", 1300),
	} {
		name := strconv.QuoteToASCII(kid)
		if len(name) > 40 {
			name = fmt.Sprintf("%s... (%d bytes)", name[:30], len(kid))
		}
		cases = append(cases, atkCase{"kid " + name, withKid(kid), atkRefresh(sessionguard.ErrUnknownKey)})
	}
	cases = append(cases,
		// A JSON escape of the real kid is the real kid.
		atkCase{`kid "rsa\u002d1" (JSON escape)`, rsaK.SignJSON([]byte(`{"alg":"RS256","kid":"rsa\u002d1"}`), atkJSON(claims)), atkSession},
		atkCase{"kid as a number", rsaK.SignJSON([]byte(`{"alg":"RS256","kid":1}`), atkJSON(claims)), atkNotOurs},
		atkCase{"kid as an object", rsaK.SignJSON([]byte(`{"alg":"RS256","kid":{"$ne":""}}`), atkJSON(claims)), atkNotOurs},
		atkCase{"kid as an array", rsaK.SignJSON([]byte(`{"alg":"RS256","kid":["rsa-1"]}`), atkJSON(claims)), atkNotOurs},
		atkCase{"kid null", rsaK.SignJSON([]byte(`{"alg":"RS256","kid":null}`), atkJSON(claims)), atkNotOurs},
		atkCase{"kid twice", rsaK.SignJSON([]byte(`{"alg":"RS256","kid":"x","kid":"rsa-1"}`), atkJSON(claims)), atkNotOurs},
		atkCase{"kid of 9000 bytes: over the size cap", withKid(strings.Repeat("A", 9000)), atkNotOurs},
		atkCase{"control", rsaK.Mint(claims), atkSession},
	)
	atkRun(t, v, cases)

	t.Run("kid of 40000 bytes within a 64 KiB cap", func(t *testing.T) {
		big := atkNew(t, sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(rsaK))),
			sessionguard.WithMaxTokenSize(64<<10))
		atkExpect(t, big, atkBearer(withKid(strings.Repeat("A", 40000))), atkRefresh(sessionguard.ErrUnknownKey))
	})
	// Every injected kid was unknown; they trigger one refresh (the first
	// load plus one), rate-limited: the fixed clock keeps it recent.
	if n := srv.Fetches(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
}

func TestAttackCritAndB64(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	evil := atkAs(sgtest.NewKey("RS256", "rsa-evil"), "RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK})
	p := atkJSON(atkClaims(atkIssA))
	expired := atkJSON(atkClaims(atkIssA, "exp", atkNow.Unix()-3600))
	sign := func(k *sgtest.Key, hdr string, payload []byte) string { return k.SignJSON([]byte(hdr), payload) }
	atkRun(t, v, []atkCase{
		{"crit with a registered name", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","crit":["exp"],"exp":1}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit with an unknown extension", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","crit":["x-ext"],"x-ext":true}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit empty array", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","crit":[]}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit as a string", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","crit":"b64"}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit null", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","crit":null}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit b64 with b64 false", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":false,"crit":["b64"]}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit b64 with b64 true", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":true,"crit":["b64"]}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"b64 false alone", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":false}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"b64 as the string false", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":"false"}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"b64 as the string true", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":"true"}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"b64 zero", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":0}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"b64 null", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":null}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit and expired claims", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","crit":["x"]}`, expired), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit and bad signature", sign(evil, `{"alg":"RS256","kid":"rsa-1","crit":["x"]}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit and unknown kid", sign(rsaK, `{"alg":"RS256","kid":"nope","crit":["x"]}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
		{"crit twice", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","crit":["x"],"crit":["y"]}`, p), atkNotOurs},
		{"b64 twice", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":true,"b64":false}`, p), atkNotOurs},
		{"b64 true alone", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","b64":true}`, p), atkSession},
		{"Crit and B64 are other members (names are case-sensitive)", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","Crit":["x"],"B64":false}`, p), atkSession},
		{"crit written with a JSON escape", sign(rsaK, `{"alg":"RS256","kid":"rsa-1","\u0063rit":["x"]}`, p), atkRefresh(sessionguard.ErrUnsupportedHeader)},
	})
}

// atkTailDirty returns seg with a non-zero unused bit in its last
// character, or false when seg has no unused bits.
func atkTailDirty(seg string) (string, bool) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(seg)%4 == 0 {
		return "", false
	}
	i := strings.IndexByte(alphabet, seg[len(seg)-1])
	dirty := seg[:len(seg)-1] + string(alphabet[i|1])
	// Sanity: a lenient decoder reads the same bytes, the strict one refuses.
	a, err1 := base64.RawURLEncoding.DecodeString(seg)
	b, err2 := base64.RawURLEncoding.DecodeString(dirty)
	_, err3 := base64.RawURLEncoding.Strict().DecodeString(dirty)
	if err1 != nil || err2 != nil || err3 == nil || !bytes.Equal(a, b) {
		panic("atkTailDirty: " + seg)
	}
	return dirty, true
}

// atkWithChar returns JSON bytes (built by mk from a growing filler) whose
// base64url encoding contains '-' or '_'.
func atkWithChar(mk func(filler string) []byte) []byte {
	for i := 0; i < 200; i++ {
		b := mk(strings.Repeat("~", i) + "?>")
		if strings.ContainsAny(atkB64(b), "-_") {
			return b
		}
	}
	panic("atkWithChar: no encoding with - or _")
}

func TestAttackNonCanonicalBase64(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK})
	claims := atkClaims(atkIssA)
	payload := atkJSON(claims)
	std := base64.RawStdEncoding.EncodeToString
	stdPad := base64.StdEncoding.EncodeToString

	// Header and payload lengths that leave unused bits.
	hdr := []byte(`{"alg":"RS256","kid":"rsa-1"}`) // 29 bytes: 29 % 3 == 2
	for len(hdr)%3 == 0 {
		hdr = append([]byte(" "), hdr...)
	}
	pl := payload
	for len(pl)%3 == 0 {
		pl = append([]byte(" "), pl...)
	}
	dirtyH, _ := atkTailDirty(atkB64(hdr))
	dirtyP, _ := atkTailDirty(atkB64(pl))
	good := rsaK.SignJSON(hdr, pl)
	gh, gp, gs := atkSplit(good)
	for len(gs)%4 == 0 { // RSA-2048 signatures are 342 chars: always dirty-able
		t.Fatal("unexpected signature length")
	}
	dirtyS, _ := atkTailDirty(gs)

	// Standard-alphabet variants of header, payload and signature.
	stdHdr := atkWithChar(func(f string) []byte { return []byte(`{"alg":"RS256","kid":"rsa-1","x":"` + f + `"}`) })
	stdPl := atkWithChar(func(f string) []byte { return atkJSON(atkClaims(atkIssA, "x", f)) })
	var sigTok string
	for i := 0; ; i++ {
		sigTok = rsaK.Mint(atkClaims(atkIssA, "n", i))
		if _, _, s := atkSplit(sigTok); strings.ContainsAny(s, "-_") {
			break
		}
	}
	sh, sp, ss := atkSplit(sigTok)
	stdSig := strings.NewReplacer("-", "+", "_", "/").Replace(ss)

	atkRun(t, v, []atkCase{
		{"control: canonical", good, atkSession},
		{"padded header", atkSignInput(rsaK, stdPad(hdr)+"."+gp), atkNotOurs},
		{"padded header, URL alphabet", atkSignInput(rsaK, base64.URLEncoding.EncodeToString(hdr)+"."+gp), atkNotOurs},
		{"padded payload", atkSignInput(rsaK, gh+"."+base64.URLEncoding.EncodeToString(pl)), atkNotOurs},
		{"padded signature", gh + "." + gp + "." + gs + "==", atkNotOurs},
		{"padding escaped as %3D", gh + "." + gp + "." + gs + "%3D%3D", atkNotOurs},
		{"header in the standard alphabet", atkSignInput(rsaK, std(stdHdr)+"."+gp), atkNotOurs},
		{"payload in the standard alphabet", atkSignInput(rsaK, gh+"."+std(stdPl)), atkNotOurs},
		{"signature in the standard alphabet", sh + "." + sp + "." + stdSig, atkNotOurs},
		{"non-zero trailing bits in the header", atkSignInput(rsaK, dirtyH+"."+gp), atkNotOurs},
		{"non-zero trailing bits in the payload", atkSignInput(rsaK, gh+"."+dirtyP), atkNotOurs},
		// The signature segment is not read during classification: a
		// non-canonical one makes an "ours" token that fails (row 3).
		{"non-zero trailing bits in the signature", gh + "." + gp + "." + dirtyS, atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"space inside the header", atkSignInput(rsaK, gh[:5]+" "+gh[5:]+"."+gp), atkNotOurs},
		{"newline inside the payload", atkSignInput(rsaK, gh+"."+gp[:5]+"\n"+gp[5:]), atkNotOurs},
		{"CRLF between segments", gh + ".\r\n" + gp + "." + gs, atkNotOurs},
		{"tab before the token", "\t" + good, atkNotOurs},
		{"trailing space", good + " ", atkNotOurs},
		{"non-ASCII letter", atkSignInput(rsaK, gh+"."+gp[:3]+"é"+gp[3:]), atkNotOurs},
		{"header with a BOM", rsaK.SignJSON(append([]byte("\ufeff"), hdr...), payload), atkNotOurs},
		{"header with trailing garbage", rsaK.SignJSON([]byte(`{"alg":"RS256","kid":"rsa-1"}x`), payload), atkNotOurs},
		{"header of two objects", rsaK.SignJSON([]byte(`{"alg":"RS256","kid":"rsa-1"}{"alg":"none"}`), payload), atkNotOurs},
		{"header not an object", rsaK.SignJSON([]byte(`["alg","RS256"]`), payload), atkNotOurs},
		{"header the JSON string of an object", rsaK.SignJSON(atkJSON(`{"alg":"RS256","kid":"rsa-1"}`), payload), atkNotOurs},
		{"header with surrounding whitespace is JSON", rsaK.SignJSON([]byte(" \n{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}\t"), payload), atkSession},
	})
}

func TestAttackSegments(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK})
	tok := rsaK.Mint(atkClaims(atkIssA))
	h, p, s := atkSplit(tok)
	jweHdr := atkB64([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rsa-1"}`))
	jsonGeneral := string(atkJSON(map[string]any{"payload": p, "signatures": []any{map[string]any{"protected": h, "signature": s}}}))
	jsonFlat := string(atkJSON(map[string]any{"payload": p, "protected": h, "signature": s}))

	atkRun(t, v, []atkCase{
		{"control", tok, atkSession},
		{"one segment", h, atkNotOurs},
		{"one segment: payload", p, atkNotOurs},
		{"two segments", h + "." + p, atkNotOurs},
		{"two segments: payload.signature", p + "." + s, atkNotOurs},
		{"four segments", tok + "." + s, atkNotOurs},
		{"four segments, empty last", tok + ".", atkNotOurs},
		{"five segments (JWE)", jweHdr + ".AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", atkNotOurs},
		{"five segments with an RS256 header", tok + ".AAAA.AAAA", atkNotOurs},
		{"empty header", "." + p + "." + s, atkNotOurs},
		{"empty header, signed", atkSignInput(rsaK, "."+p), atkNotOurs},
		{"empty payload (detached), signed", atkSignInput(rsaK, h+"."), atkNotOurs},
		{"empty header and payload", ".." + s, atkNotOurs},
		{"only dots", "..", atkNotOurs},
		{"one dot", ".", atkNotOurs},
		{"leading dot", "." + tok, atkNotOurs},
		{"JSON general serialization", jsonGeneral, atkNotOurs},
		{"JSON flattened serialization", jsonFlat, atkNotOurs},
		{"quoted token in the header", `"` + tok + `"`, atkNotOurs},
		{"two tokens separated by a comma", tok + "," + tok, atkNotOurs},
		{"two tokens separated by a space", tok + " " + tok, atkNotOurs},
		{"empty signature segment is ours", h + "." + p + ".", atkRefresh(sessionguard.ErrSignatureInvalid)},
	})

	t.Run("Authorization schemes", func(t *testing.T) {
		for _, tc := range []struct {
			name, value string
			want        atkWant
		}{
			{"Bearer", "Bearer " + tok, atkSession},
			{"bearer lower case", "bearer " + tok, atkSession},
			{"BeArEr mixed case, several spaces", "BeArEr    " + tok, atkSession},
			{"Basic", "Basic " + tok, atkNotOurs},
			{"Token", "Token " + tok, atkNotOurs},
			{"DPoP", "DPoP " + tok, atkNotOurs},
			{"JWT", "JWT " + tok, atkNotOurs},
			{"Bearer without a space", "Bearer" + tok, atkNotOurs},
			{"Bearer with a tab", "Bearer\t" + tok, atkNotOurs},
			{"Bearer with a colon", "Bearer: " + tok, atkNotOurs},
			{"Bearers", "Bearers " + tok, atkNotOurs},
			{"the bare token", tok, atkNotOurs},
			{"Bearer and nothing", "Bearer ", atkNotOurs},
			{"Bearer alone", "Bearer", atkNotOurs},
			{"empty", "", atkNotOurs},
			{"Bearer with the token twice", "Bearer " + tok + " " + tok, atkNotOurs},
		} {
			t.Run(tc.name, func(t *testing.T) {
				atkExpect(t, v, sessionguard.MapRequest{Header: http.Header{"Authorization": {tc.value}}}, tc.want)
			})
		}
		t.Run("two Authorization fields", func(t *testing.T) {
			atkExpect(t, v, sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok, "Basic x"}}},
				atkWant{code: sessionguard.ErrInvalidRequest, reason: sessionguard.ErrDuplicateAuthorization})
		})
	})

	t.Run("cookie values", func(t *testing.T) {
		for _, tc := range []struct {
			name, value string
			want        atkWant
		}{
			{"raw", tok, atkSession},
			{"double-quoted", `"` + tok + `"`, atkSession},
			{"URL-escaped dots", strings.ReplaceAll(tok, ".", "%2E"), atkNotOurs},
			{"single-quoted", "'" + tok + "'", atkNotOurs},
			{"half-quoted", `"` + tok, atkNotOurs},
			{"two segments", h + "." + p, atkNotOurs},
			{"five segments", tok + ".AAAA.AAAA", atkNotOurs},
			{"padded", tok + "==", atkNotOurs},
		} {
			t.Run(tc.name, func(t *testing.T) {
				atkExpect(t, v, atkCookie(tc.value), tc.want)
			})
		}
	})
}

func TestAttackTimeClaims(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK}) // default leeway: 30 s
	now := atkNow.Unix()
	mint := func(kv ...any) string { return rsaK.Mint(atkClaims(atkIssA, kv...)) }
	raw := func(tmpl string) string { return rsaK.SignJSON(atkHdr(rsaK), atkP(tmpl)) }
	malformed := atkUnauth(sessionguard.ErrMalformedClaims)
	expired := atkRefresh(sessionguard.ErrTokenExpired)
	notYet := atkRefresh(sessionguard.ErrTokenNotYetValid)

	atkRun(t, v, []atkCase{
		{"control", mint(), atkSession},
		{"exp as a string", mint("exp", "9999999999"), malformed},
		{"exp as a numeric string in the past", mint("exp", "0"), malformed},
		{"exp 0 is long expired, not absent", mint("exp", 0), expired},
		{"exp -0 is zero", raw(`{"iss":$ISS,"sub":"u","exp":-0}`), expired},
		{"exp 0.0", raw(`{"iss":$ISS,"sub":"u","exp":0.0}`), expired},
		{"exp negative", mint("exp", -1), malformed},
		{"exp very negative", mint("exp", int64(-1)<<62), malformed},
		{"exp negative fraction", raw(`{"iss":$ISS,"sub":"u","exp":-0.5}`), malformed},
		{"exp at the year-9999 limit", mint("exp", int64(253402300799)), atkSession},
		{"exp just above the year-9999 limit", mint("exp", int64(253402300800)), malformed},
		{"exp fraction above the limit", raw(`{"iss":$ISS,"sub":"u","exp":253402300799.5}`), malformed},
		{"exp 1e400 (overflows float64)", raw(`{"iss":$ISS,"sub":"u","exp":1e400}`), malformed},
		{"exp with 30 digits", raw(`{"iss":$ISS,"sub":"u","exp":999999999999999999999999999999}`), malformed},
		{"exp null", raw(`{"iss":$ISS,"sub":"u","exp":null}`), malformed},
		{"exp true", mint("exp", true), malformed},
		{"exp false", mint("exp", false), malformed},
		{"exp object", mint("exp", map[string]any{"$gt": 0}), malformed},
		{"exp array", mint("exp", []int64{now + 600}), malformed},
		{"exp float in the future", raw(`{"iss":$ISS,"sub":"u","exp":` + strconv.FormatInt(now+600, 10) + `.75}`), atkSession},
		{"exp in exponent notation, future", raw(`{"iss":$ISS,"sub":"u","exp":1.7000006e9}`), atkSession},
		{"exp in exponent notation, past", raw(`{"iss":$ISS,"sub":"u","exp":1.6e9}`), expired},
		{"exp missing", mint("exp", atkDel), atkUnauth(sessionguard.ErrMissingExpiry)},
		{"EXP is not exp", mint("exp", atkDel, "EXP", now+600), atkUnauth(sessionguard.ErrMissingExpiry)},
		{"exp within the leeway (now-29)", mint("exp", now-29), atkSession},
		{"exp at the leeway (now-30)", mint("exp", now-30), expired},
		{"exp beyond the leeway (now-31)", mint("exp", now-31), expired},
		{"exp a fraction inside the leeway", raw(`{"iss":$ISS,"sub":"u","exp":` + strconv.FormatInt(now-30, 10) + `.001}`), atkSession},
		{"exp now", mint("exp", now), atkSession},
		{"nbf within the leeway (now+30)", mint("nbf", now+30), atkSession},
		{"nbf beyond the leeway (now+31)", mint("nbf", now+31), notYet},
		{"nbf far in the future", mint("nbf", now+86400), notYet},
		{"nbf a fraction beyond the leeway", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"nbf":` + strconv.FormatInt(now+30, 10) + `.001}`), notYet},
		{"nbf 0", mint("nbf", 0), atkSession},
		{"nbf as a string", mint("nbf", "0"), malformed},
		{"nbf negative", mint("nbf", -5), malformed},
		{"nbf null", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"nbf":null}`), malformed},
		{"iat within the leeway (now+30)", mint("iat", now+30), atkSession},
		{"iat beyond the leeway (now+31)", mint("iat", now+31), notYet},
		{"iat in the year 9999", mint("iat", int64(253402300799), "exp", int64(253402300799)), notYet},
		{"iat as a string", mint("iat", strconv.FormatInt(now, 10)), malformed},
		{"iat above the limit", mint("iat", int64(253402300800)), malformed},
		{"iat bool", mint("iat", true), malformed},
		// Row 2 is judged before row 4.
		{"expired and sub missing", mint("exp", now-3600, "sub", atkDel), expired},
		{"expired and nbf in the future", mint("exp", now-3600, "nbf", now+3600), expired},
		{"not yet valid and sub missing", mint("nbf", now+3600, "sub", atkDel), notYet},
		{"expired and sub twice", raw(`{"iss":$ISS,"sub":"u","sub":"v","exp":0}`), expired},
	})

	t.Run("leeway 0", func(t *testing.T) {
		v0 := atkStatic(t, []*sgtest.Key{rsaK}, sessionguard.WithLeeway(0))
		atkRun(t, v0, []atkCase{
			{"exp now is expired", mint("exp", now), expired},
			{"exp now+1", mint("exp", now+1), atkSession},
			{"nbf now", mint("nbf", now), atkSession},
			{"nbf now+1", mint("nbf", now+1), notYet},
			{"iat now+1", mint("iat", now+1), notYet},
		})
	})
}

func TestAttackRegisteredClaims(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK}, sessionguard.WithAudience(atkAud))
	mint := func(kv ...any) string { return rsaK.Mint(atkClaims(atkIssA, append([]any{"aud", atkAud}, kv...)...)) }
	raw := func(tmpl string) string { return rsaK.SignJSON(atkHdr(rsaK), atkP(tmpl)) }
	rawHdr := func(hdr string) string { return rsaK.SignJSON([]byte(hdr), atkJSON(atkClaims(atkIssA, "aud", atkAud))) }
	malformed := atkUnauth(sessionguard.ErrMalformedClaims)
	noSub := atkUnauth(sessionguard.ErrMissingSubject)
	badAud := atkUnauth(sessionguard.ErrAudienceMismatch)

	atkRun(t, v, []atkCase{
		{"control", mint(), atkSession},
		// aud
		{"aud as an array", mint("aud", []string{atkAud}), atkSession},
		{"aud array containing the audience", mint("aud", []string{"other", atkAud, "third"}), atkSession},
		{"aud of another service", mint("aud", "other.example.test"), badAud},
		{"aud array without the audience", mint("aud", []string{"a", "b"}), badAud},
		{"aud empty array", mint("aud", []string{}), badAud},
		{"aud missing", mint("aud", atkDel), badAud},
		{"aud differs in case", mint("aud", strings.ToUpper(atkAud)), badAud},
		{"aud with a trailing space", mint("aud", atkAud+" "), badAud},
		{"aud as a number", mint("aud", 5), malformed},
		{"aud as an array of numbers", mint("aud", []int{1}), malformed},
		{"aud array mixing string and number", mint("aud", []any{atkAud, 1}), malformed},
		{"aud array with null", mint("aud", []any{atkAud, nil}), malformed},
		{"aud nested array", mint("aud", []any{[]string{atkAud}}), malformed},
		{"aud null", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"aud":null}`), malformed},
		{"aud object", mint("aud", map[string]string{"aud": atkAud}), malformed},
		{"aud bool", mint("aud", true), malformed},
		{"aud twice", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"aud":"x","aud":"api.example.test"}`), malformed},
		// iss (classification: only tokens of a configured issuer are ours)
		{"iss of an unknown issuer", mint("iss", "https://evil.example.test"), atkNotOurs},
		{"iss with a trailing slash", mint("iss", atkIssA+"/"), atkNotOurs},
		{"iss in upper case", mint("iss", strings.ToUpper(atkIssA)), atkNotOurs},
		{"iss as a number", mint("iss", 1), atkNotOurs},
		{"iss as an array", mint("iss", []string{atkIssA}), atkNotOurs},
		{"iss null", raw(`{"iss":null,"sub":"u","exp":$EXP,"aud":"api.example.test"}`), atkNotOurs},
		{"iss missing", mint("iss", atkDel), atkNotOurs},
		{"ISS is not iss", mint("iss", atkDel, "ISS", atkIssA), atkNotOurs},
		{"iss twice, second unknown", raw(`{"iss":$ISS,"iss":"https://evil.example.test","sub":"u","exp":$EXP,"aud":"api.example.test"}`), atkNotOurs},
		{"iss twice, same value", raw(`{"iss":$ISS,"iss":$ISS,"sub":"u","exp":$EXP,"aud":"api.example.test"}`), atkNotOurs},
		{"iss with a JSON escape is the same string", raw(`{"iss":"https:\/\/a.example.test","sub":"u","exp":$EXP,"aud":"api.example.test"}`), atkSession},
		// sub
		{"sub missing", mint("sub", atkDel), noSub},
		{"sub empty", mint("sub", ""), noSub},
		{"sub a number", mint("sub", 12345), noSub},
		{"sub null", raw(`{"iss":$ISS,"sub":null,"exp":$EXP,"aud":"api.example.test"}`), noSub},
		{"sub an array", mint("sub", []string{"user-1"}), noSub},
		{"sub an object", mint("sub", map[string]string{"id": "user-1"}), noSub},
		{"sub bool", mint("sub", true), noSub},
		{"SUB is not sub", mint("sub", atkDel, "SUB", "user-1"), noSub},
		// duplicated registered members are malformed
		{"sub twice", raw(`{"iss":$ISS,"sub":"user-1","sub":"admin","exp":$EXP,"aud":"api.example.test"}`), malformed},
		{"sub twice, the same value", raw(`{"iss":$ISS,"sub":"user-1","sub":"user-1","exp":$EXP,"aud":"api.example.test"}`), malformed},
		{"sub twice, one written with an escape", raw(`{"iss":$ISS,"sub":"user-1","s\u0075b":"admin","exp":$EXP,"aud":"api.example.test"}`), malformed},
		{"exp twice", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"exp":$EXP,"aud":"api.example.test"}`), malformed},
		{"sid twice", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"aud":"api.example.test","sid":"a","sid":"b"}`), malformed},
		{"sid a number", mint("sid", 5), malformed},
		{"jti an object", mint("jti", map[string]int{"a": 1}), malformed},
		// Claim("role") would read "a" and Claims[T] "b": ambiguous, refused.
		{"an application claim twice is malformed", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"aud":"api.example.test","role":"a","role":"b"}`), malformed},
		// header member names
		{"header ALG only", rawHdr(`{"ALG":"RS256","kid":"rsa-1"}`), atkNotOurs},
		{"header Alg only", rawHdr(`{"Alg":"RS256","kid":"rsa-1"}`), atkNotOurs},
		{"header alg twice", rawHdr(`{"alg":"RS256","kid":"rsa-1","alg":"RS256"}`), atkNotOurs},
		{"header alg twice, second none", rawHdr(`{"alg":"RS256","kid":"rsa-1","alg":"none"}`), atkNotOurs},
		{"header alg and an escaped alg", rawHdr(`{"alg":"RS256","kid":"rsa-1","\u0061lg":"RS256"}`), atkNotOurs},
		{"header escaped alg alone", rawHdr(`{"\u0061lg":"RS256","kid":"rsa-1"}`), atkSession},
		{"header alg value escaped", rawHdr(`{"alg":"RS\u0032\u0035\u0036","kid":"rsa-1"}`), atkSession},
		{"header ALG none next to alg RS256", rawHdr(`{"ALG":"none","alg":"RS256","kid":"rsa-1"}`), atkSession},
		{"header KID is not kid", rawHdr(`{"alg":"RS256","KID":"nope"}`), atkSession}, // no kid: the only RS256 key
		// payloads that are not objects (no iss: not ours)
		{"payload an array", rsaK.SignJSON(atkHdr(rsaK), []byte(`[{"iss":"https://a.example.test"}]`)), atkNotOurs},
		{"payload null", rsaK.SignJSON(atkHdr(rsaK), []byte(`null`)), atkNotOurs},
		{"payload a string", rsaK.SignJSON(atkHdr(rsaK), atkJSON(string(atkJSON(atkClaims(atkIssA))))), atkNotOurs},
		{"payload not JSON", rsaK.SignJSON(atkHdr(rsaK), []byte(`{"iss":"https://a.example.test",`)), atkNotOurs},
		{"payload with trailing garbage", rsaK.SignJSON(atkHdr(rsaK), append(atkJSON(atkClaims(atkIssA)), '}')), atkNotOurs},
	})

	t.Run("without issuers", func(t *testing.T) {
		vu := atkNew(t, sessionguard.WithKeySource(sessionguard.StaticJWKS(sgtest.JWKS(rsaK))))
		sign := func(p []byte) string { return rsaK.SignJSON(atkHdr(rsaK), p) }
		atkRun(t, vu, []atkCase{
			{"no iss", sign(atkJSON(atkClaims(atkIssA, "iss", atkDel))), atkSession},
			{"any iss", sign(atkJSON(atkClaims("https://anyone.example.test"))), atkSession},
			{"iss a number", sign(atkJSON(atkClaims(atkIssA, "iss", 7))), malformed},
			{"iss twice", sign(atkP(`{"iss":"a","iss":"b","sub":"u","exp":$EXP}`)), malformed},
			{"payload an array", sign([]byte(`[1]`)), malformed},
			{"payload not JSON", sign([]byte(`{"sub":`)), malformed},
			{"payload empty object", sign([]byte(`{}`)), atkUnauth(sessionguard.ErrMissingExpiry)},
		})
	})
}

func TestAttackLifetimeAndRequiredClaims(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK},
		sessionguard.WithMaxLifetime(time.Hour),
		sessionguard.WithRequiredClaim("tenant", sessionguard.KindString),
		sessionguard.WithRequiredClaim("roles", sessionguard.KindArray),
	)
	now := atkNow.Unix()
	mint := func(kv ...any) string {
		return rsaK.Mint(atkClaims(atkIssA, append([]any{"tenant", "t1", "roles", []string{"r"}}, kv...)...))
	}
	missing := atkUnauth(sessionguard.ErrMissingClaim)
	atkRun(t, v, []atkCase{
		{"control", mint(), atkSession},
		{"lifetime exactly the maximum", mint("iat", now, "exp", now+3600), atkSession},
		{"lifetime over the maximum", mint("iat", now, "exp", now+3601), atkUnauth(sessionguard.ErrLifetimeTooLong)},
		{"lifetime over the maximum without iat", mint("iat", atkDel, "exp", now+7200), atkUnauth(sessionguard.ErrLifetimeTooLong)},
		{"lifetime of a year", mint("exp", now+365*86400), atkUnauth(sessionguard.ErrLifetimeTooLong)},
		{"iat far in the past makes a long lifetime", mint("iat", now-86400, "exp", now+60), atkUnauth(sessionguard.ErrLifetimeTooLong)},
		{"required claim missing", mint("tenant", atkDel), missing},
		{"required claim of the wrong type", mint("tenant", 5), missing},
		{"required claim null", rsaK.SignJSON(atkHdr(rsaK), atkP(`{"iss":$ISS,"sub":"u","exp":$EXP,"tenant":null,"roles":[]}`)), missing},
		{"required array given as a string", mint("roles", "admin"), missing},
		{"required claim name is case-sensitive", mint("tenant", atkDel, "Tenant", "t1"), missing},
		{"expired and a required claim missing", mint("exp", now-3600, "tenant", atkDel), atkRefresh(sessionguard.ErrTokenExpired)},
	})
}

// atkPadTo mints a token of issuer A whose length is as close to n as the
// base64 arithmetic allows without exceeding it (over: the first length
// above n).
func atkPadTo(k *sgtest.Key, n int, over bool) string {
	mint := func(i int) string { return k.Mint(atkClaims(atkIssA, "pad", strings.Repeat("x", i))) }
	// The length grows with i: binary-search the last i within n.
	lo, hi := 0, n // mint(lo) fits, mint(hi) does not
	if len(mint(lo)) > n {
		panic("atkPadTo: n too small")
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if len(mint(mid)) <= n {
			lo = mid
		} else {
			hi = mid
		}
	}
	if over {
		return mint(hi)
	}
	return mint(lo)
}

func TestAttackOversize(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	edK := sgtest.NewKey("EdDSA", "ed-1")
	keys := []*sgtest.Key{rsaK, edK}
	v := atkStatic(t, keys)
	atMax := atkPadTo(edK, sessionguard.DefaultMaxTokenSize, false)
	overMax := atkPadTo(edK, sessionguard.DefaultMaxTokenSize, true)
	if len(atMax) > sessionguard.DefaultMaxTokenSize || len(atMax) < sessionguard.DefaultMaxTokenSize-3 || len(overMax) <= sessionguard.DefaultMaxTokenSize {
		t.Fatalf("bad fixture lengths %d, %d", len(atMax), len(overMax))
	}
	huge := edK.Mint(atkClaims(atkIssA, "pad", strings.Repeat("x", 1<<20)))
	atkRun(t, v, []atkCase{
		{"just within 8 KiB", atMax, atkSession},
		{"just over 8 KiB", overMax, atkNotOurs},
		{"1 MiB", huge, atkNotOurs},
		{"over 8 KiB with a bad signature", overMax[:len(overMax)-4] + "AAAA", atkNotOurs},
	})
	t.Run("cookie over 8 KiB", func(t *testing.T) {
		atkExpect(t, v, atkCookie(overMax), atkNotOurs)
		atkExpect(t, v, atkCookie(atMax), atkSession)
	})

	t.Run("WithMaxTokenSize(1024)", func(t *testing.T) {
		small := atkStatic(t, keys, sessionguard.WithMaxTokenSize(1024))
		atkRun(t, small, []atkCase{
			{"within 1 KiB", atkPadTo(edK, 1024, false), atkSession},
			{"over 1 KiB", atkPadTo(edK, 1024, true), atkNotOurs},
			{"RS256 token over 1 KiB", atkPadTo(rsaK, 1024, true), atkNotOurs},
		})
	})
	t.Run("WithMaxTokenSize(64 KiB)", func(t *testing.T) {
		large := atkStatic(t, keys, sessionguard.WithMaxTokenSize(64<<10))
		atkRun(t, large, []atkCase{
			{"60 KiB", atkPadTo(edK, 60<<10, false), atkSession},
			{"over 64 KiB", atkPadTo(edK, 64<<10, true), atkNotOurs},
		})
	})
}

func TestAttackTokenWithoutKid(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	rsa2 := sgtest.NewKey("RS256", "rsa-2")
	ecK := sgtest.NewKey("ES256", "ec-1")
	claims := atkClaims(atkIssA)
	noKid := func(k *sgtest.Key, alg string) string { return atkAs(k, alg, "").Mint(claims) }

	t.Run("one key per alg", func(t *testing.T) {
		v := atkStatic(t, []*sgtest.Key{rsaK, ecK})
		atkRun(t, v, []atkCase{
			{"RS256 without kid", noKid(rsaK, "RS256"), atkSession},
			{"ES256 without kid", noKid(ecK, "ES256"), atkSession},
			{"RS256 without kid signed by another key", noKid(rsa2, "RS256"), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"PS256 without kid: no key for it", noKid(rsaK, "PS256"), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"EdDSA without kid: no key for it", noKid(sgtest.NewKey("EdDSA", "x"), "EdDSA"), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"empty kid is a kid, and unknown", atkAs(rsaK, "RS256", "").MintHeader(map[string]any{"alg": "RS256", "kid": ""}, claims), atkRefresh(sessionguard.ErrUnknownKey)},
		})
	})
	t.Run("two keys for the alg", func(t *testing.T) {
		v := atkStatic(t, []*sgtest.Key{rsaK, rsa2, ecK})
		atkRun(t, v, []atkCase{
			{"RS256 without kid, signed by the first", noKid(rsaK, "RS256"), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"RS256 without kid, signed by the second", noKid(rsa2, "RS256"), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"ES256 without kid: still one key", noKid(ecK, "ES256"), atkSession},
			{"RS256 with kid", rsa2.Mint(claims), atkSession},
		})
	})
	t.Run("two RSA keys, one usable for the alg", func(t *testing.T) {
		v := atkStatic(t, []*sgtest.Key{rsaK, atkAs(rsa2, "PS256", "rsa-2")})
		atkRun(t, v, []atkCase{
			{"RS256 without kid", noKid(rsaK, "RS256"), atkSession},
			{"PS256 without kid", noKid(rsa2, "PS256"), atkSession},
			{"RS384 without kid", noKid(rsaK, "RS384"), atkRefresh(sessionguard.ErrSignatureInvalid)},
		})
	})
	t.Run("two RSA keys without alg", func(t *testing.T) {
		v := atkNew(t, sessionguard.WithIssuer(atkIssA, sessionguard.PublicKeys(
			sessionguard.PublicKey{ID: "rsa-1", Key: rsaK.Public()},
			sessionguard.PublicKey{Key: rsa2.Public()},
		)))
		atkRun(t, v, []atkCase{
			{"RS256 without kid: ambiguous", noKid(rsaK, "RS256"), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"RS256 with kid", rsaK.Mint(claims), atkSession},
		})
	})
}

func TestAttackCrossIssuer(t *testing.T) {
	kA := sgtest.NewKey("RS256", "rsa-1")
	kB := sgtest.NewKey("RS256", "rsa-b")
	ecA := sgtest.NewKey("ES256", "shared")
	ecB := sgtest.NewKey("ES256", "shared") // same kid, different key
	v := atkNew(t,
		sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(kA, ecA))),
		sessionguard.WithIssuer(atkIssB, sessionguard.StaticJWKS(sgtest.JWKS(kB, ecB))),
	)
	atkRun(t, v, []atkCase{
		{"control: A by A", kA.Mint(atkClaims(atkIssA)), atkSession},
		{"control: B by B", kB.Mint(atkClaims(atkIssB)), atkSession},
		{"iss B signed by A's key with A's kid", kA.Mint(atkClaims(atkIssB)), atkRefresh(sessionguard.ErrUnknownKey)},
		{"iss A signed by B's key with B's kid", kB.Mint(atkClaims(atkIssA)), atkRefresh(sessionguard.ErrUnknownKey)},
		{"iss B signed by A's key with B's kid", atkAs(kA, "RS256", "rsa-b").Mint(atkClaims(atkIssB)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"iss B signed by A's key without kid", atkAs(kA, "RS256", "").Mint(atkClaims(atkIssB)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"iss B signed by A's key under a kid both use", ecA.Mint(atkClaims(atkIssB)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"iss A signed by B's key under a kid both use", ecB.Mint(atkClaims(atkIssA)), atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"control: shared kid, right issuer", ecB.Mint(atkClaims(atkIssB)), atkSession},
		{"iss C is not ours", kA.Mint(atkClaims("https://c.example.test")), atkNotOurs},
	})
}

func TestAttackRemoteWeakKeys(t *testing.T) {
	good := sgtest.NewKey("RS256", "rsa-1")
	oct := sgtest.NewKey("HS256", "oct-1")
	weak := sgtest.NewWeakRSAKey(1024, "weak-1")
	if oct.JWK()["kty"] != "oct" {
		t.Fatal("fixture: HS256 key is not an oct JWK")
	}
	// Issuer B holds a shared secret, so HS256 is in the allow-list: the
	// oct key of issuer A's remote set is then the only thing standing
	// between an attacker and a session, and it must be ignored.
	secretB := bytes.Repeat([]byte("s"), 32)

	t.Run("mixed set", func(t *testing.T) {
		srv := sgtest.NewJWKSServer(good, oct, weak)
		defer srv.Close()
		v := atkNew(t,
			sessionguard.WithIssuer(atkIssA, sessionguard.RemoteJWKS(srv.URL())),
			sessionguard.WithIssuer(atkIssB, sessionguard.HMACSecret("hs-b", "HS256", secretB)),
		)
		atkReady(t, v)
		claims := atkClaims(atkIssA)
		atkRun(t, v, []atkCase{
			{"control: 2048-bit key", good.Mint(claims), atkSession},
			{"HS256 with the remote oct key", oct.Mint(claims), atkRefresh(sessionguard.ErrUnknownKey)},
			{"HS256 with the remote oct key, no kid", atkAs(oct, "HS256", "").Mint(claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"RS256 with the 1024-bit key", weak.Mint(claims), atkRefresh(sessionguard.ErrUnknownKey)},
			{"RS256 with the 1024-bit key, no kid", atkAs(weak, "RS256", "").Mint(claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
			{"RS256 with the 1024-bit key under the good kid", atkAs(weak, "RS256", "rsa-1").Mint(claims), atkRefresh(sessionguard.ErrSignatureInvalid)},
		})
	})

	t.Run("set of only unusable keys never loads", func(t *testing.T) {
		srv := sgtest.NewJWKSServer(oct, weak)
		defer srv.Close()
		v := atkNew(t, sessionguard.WithIssuer(atkIssA, sessionguard.RemoteJWKS(srv.URL())))
		deadline := time.Now().Add(5 * time.Second)
		for srv.Fetches() == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if srv.Fetches() == 0 {
			t.Fatal("the set was never fetched")
		}
		claims := atkClaims(atkIssA)
		atkRun(t, v, []atkCase{
			{"RS256 with the 1024-bit key", weak.Mint(claims), atkWant{code: sessionguard.ErrKeysUnavailable, reason: sessionguard.ErrKeySetNotLoaded}},
			{"HS256 with the oct key: not allowed, not ours", oct.Mint(claims), atkNotOurs},
		})
	})

	t.Run("static set of only unusable keys is refused", func(t *testing.T) {
		if _, err := sessionguard.New(sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(oct, weak)))); err == nil {
			t.Error("New accepted a static JWKS holding only an oct and a 1024-bit RSA key")
		}
		if _, err := sessionguard.New(sessionguard.WithIssuer(atkIssA, sessionguard.PublicKeys(
			sessionguard.PublicKey{ID: "weak-1", Key: weak.Public()}))); err == nil {
			t.Error("New accepted a 1024-bit RSA public key")
		}
	})
}

// TestAttackHeaderAndCookie: a token in one place never rescues or spoils
// the other beyond what docs/semantics.md §2–§3 say (no fallback after selection).
func TestAttackHeaderAndCookie(t *testing.T) {
	k := sgtest.NewKey("ES256", "ec-1")
	evil := atkAs(sgtest.NewKey("ES256", "evil"), "ES256", "ec-1")
	v := atkStatic(t, []*sgtest.Key{k})
	now := atkNow.Unix()
	valid := k.Mint(atkClaims(atkIssA))
	expired := k.Mint(atkClaims(atkIssA, "exp", now-3600))
	forged := evil.Mint(atkClaims(atkIssA, "sub", "admin"))
	none := atkRaw([]byte(`{"alg":"none"}`), atkJSON(atkClaims(atkIssA, "sub", "admin")), "")
	req := func(authz, cookie string) sessionguard.MapRequest {
		h := http.Header{}
		if authz != "" {
			h["Authorization"] = []string{authz}
		}
		if cookie != "" {
			h["Cookie"] = []string{cookie}
		}
		return sessionguard.MapRequest{Header: h}
	}
	for _, tc := range []struct {
		name          string
		authz, cookie string
		want          atkWant
	}{
		{"expired header, valid cookie: no fallback", "Bearer " + expired, "access_token=" + valid, atkRefresh(sessionguard.ErrTokenExpired)},
		{"forged header, valid cookie: no fallback", "Bearer " + forged, "access_token=" + valid, atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"alg none header is not ours: the cookie is used", "Bearer " + none, "access_token=" + valid, atkSession},
		{"Basic header: the cookie is used", "Basic dXNlcjpwYXNz", "access_token=" + valid, atkSession},
		{"valid header, forged cookie", "Bearer " + valid, "access_token=" + forged, atkSession},
		{"alg none header, forged cookie", "Bearer " + none, "access_token=" + forged, atkRefresh(sessionguard.ErrSignatureInvalid)},
		{"forged cookie then valid cookie: the first that verifies wins", "", "access_token=" + forged + "; access_token=" + valid, atkSession},
		{"expired cookie then forged cookie: the first ours decides", "", "access_token=" + expired + "; access_token=" + forged, atkRefresh(sessionguard.ErrTokenExpired)},
		{"alg none cookie then expired cookie", "", "access_token=" + none + "; access_token=" + expired, atkRefresh(sessionguard.ErrTokenExpired)},
		{"valid cookie as the fifth occurrence is not read", "", strings.Repeat("access_token=x; ", 4) + "access_token=" + valid, atkNotOurs},
		{"alg none cookie alone", "", "access_token=" + none, atkNotOurs},
	} {
		t.Run(tc.name, func(t *testing.T) { atkExpect(t, v, req(tc.authz, tc.cookie), tc.want) })
	}
	t.Run("cross-origin POST with a cookie behind a not-ours header", func(t *testing.T) {
		r := req("Bearer "+none, "access_token="+valid)
		r.RequestMethod, r.RequestHost = http.MethodPost, "app.example.test"
		r.Header["Origin"] = []string{"https://evil.example.test"}
		atkExpect(t, v, r, atkWant{code: sessionguard.ErrCrossOriginRequest, reason: sessionguard.ErrCrossOrigin})
	})
}

func TestAttackNoTokenOrKidInResponses(t *testing.T) {
	const kid = "kid-LEAKCHECK-9b1e"
	k := sgtest.NewKey("ES256", kid)
	other := atkAs(sgtest.NewKey("ES256", "x"), "ES256", kid)
	unknown := atkAs(k, "ES256", "kid-UNKNOWN-LEAK-4c2d")
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := atkNew(t,
		sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(k))),
		sessionguard.WithAudience(atkAud),
		sessionguard.WithRefreshMarker("has_session"),
		sessionguard.WithLogger(logger),
		sessionguard.WithClaims(sessionguard.Includes("roles", "admin")),
	)
	// A verifier whose key set never loads (nothing listens on port 1).
	vDown := atkNew(t,
		sessionguard.WithIssuer(atkIssA, sessionguard.RemoteJWKS("http://127.0.0.1:1/jwks.json", sessionguard.WithFetchTimeout(100*time.Millisecond))),
		sessionguard.WithLogger(logger),
	)
	c := func(kv ...any) map[string]any {
		return atkClaims(atkIssA, append([]any{"aud", atkAud, "roles", []string{"admin"}}, kv...)...)
	}
	now := atkNow.Unix()
	type leakCase struct {
		name string
		v    *sessionguard.Verifier
		req  sessionguard.MapRequest
		tok  string
		kid  string
	}
	bearer := func(name string, tok string, kid string) leakCase {
		return leakCase{name, v, atkBearer(tok), tok, kid}
	}
	valid := k.Mint(c())
	foreign := k.Mint(atkClaims("https://other.example.test"))
	cases := []leakCase{
		bearer("unknown kid", unknown.Mint(c()), "kid-UNKNOWN-LEAK-4c2d"),
		bearer("alg mismatch", k.MintHeader(map[string]any{"alg": "ES384", "kid": kid}, c()), kid),
		bearer("bad signature", other.Mint(c()), kid),
		bearer("expired", k.Mint(c("exp", now-3600)), kid),
		bearer("not yet valid", k.Mint(c("nbf", now+3600)), kid),
		bearer("malformed exp", k.Mint(c("exp", "soon")), kid),
		bearer("missing sub", k.Mint(c("sub", atkDel)), kid),
		bearer("audience mismatch", k.Mint(c("aud", "elsewhere")), kid),
		bearer("crit header", k.MintHeader(map[string]any{"alg": "ES256", "kid": kid, "crit": []string{"x"}}, c()), kid),
		bearer("invalid claims", k.Mint(c("roles", []string{"user"})), kid),
		bearer("not ours", k.MintHeader(map[string]any{"alg": "none", "kid": kid}, c()), kid),
		{"cross-origin cookie", v, sessionguard.MapRequest{RequestMethod: http.MethodPost, RequestHost: "app.example.test",
			Header: http.Header{"Cookie": {"access_token=" + valid}, "Origin": {"https://evil.example.test"}}}, valid, kid},
		{"two Authorization fields", v, sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + valid, "Bearer " + valid}}}, valid, kid},
		{"refresh marker with a foreign token", v, sessionguard.MapRequest{Header: http.Header{
			"Authorization": {"Bearer " + foreign}, "Cookie": {"has_session=1"}}}, foreign, kid},
		{"keys unavailable", vDown, atkBearer(valid), valid, kid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, p, s := atkSplit(tc.tok)
			secrets := []string{tc.tok, tc.kid, h, p, s}
			assertClean := func(where, text string) {
				t.Helper()
				for _, sec := range secrets {
					if sec != "" && strings.Contains(text, sec) {
						t.Errorf("%s contains token material %.20q...", where, sec)
					}
				}
			}
			for _, required := range []bool{true, false} {
				var g *sessionguard.Guard
				var err error
				if required {
					g, err = tc.v.Required()
				} else {
					g, err = tc.v.Optional()
				}
				if err != nil {
					t.Fatal(err)
				}
				sess, err := g.Check(context.Background(), tc.req)
				if sess != nil {
					t.Fatal("fixture yields a session")
				}
				if err == nil {
					if required || tc.name != "not ours" {
						t.Fatal("fixture yields no error")
					}
					continue
				}
				var e *sessionguard.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T is not *sessionguard.Error", err)
				}
				assertClean("error text", err.Error())
				assertClean("reason text", e.Reason.Error())
				for _, cf := range e.Claims {
					assertClean("claim failure", cf.ID+" "+cf.Reason)
				}
				for _, r := range []sessionguard.Response{tc.v.DefaultResponse(e), g.Render(err)} {
					if r.Status < 400 {
						t.Errorf("status %d", r.Status)
					}
					assertClean("body", string(r.Body))
					for name, vals := range r.Header {
						for _, val := range vals {
							assertClean("header "+name, val)
						}
					}
					if !json.Valid(r.Body) {
						t.Errorf("body is not JSON: %s", r.Body)
					}
				}
			}
		})
	}
	t.Run("logs", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, "sessionguard") {
			t.Fatal("expected debug log lines")
		}
		for _, tc := range cases {
			h, _, s := atkSplit(tc.tok)
			for _, sec := range []string{tc.tok, tc.kid, h, s} {
				if strings.Contains(out, sec) {
					t.Errorf("log output contains token material of %q", tc.name)
				}
			}
		}
	})
}

// TestAttackHostileInputAllocation checks that classification does not
// allocate in proportion to a hostile input beyond the size cap.
func TestAttackHostileInputAllocation(t *testing.T) {
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	v := atkStatic(t, []*sgtest.Key{rsaK})
	g, err := v.Optional()
	if err != nil {
		t.Fatal(err)
	}
	const size = 4 << 20
	big := strings.Repeat("a", size/2) + "." + strings.Repeat("b", size/2-2) + ".c"
	manyCookies := strings.Repeat("access_token=x.y.z; ", size/20)
	reqs := map[string]sessionguard.MapRequest{
		"4 MiB bearer credential":      atkBearer(big),
		"4 MiB of spaces after Bearer": {Header: http.Header{"Authorization": {"Bearer" + strings.Repeat(" ", size)}}},
		"4 MiB cookie value":           atkCookie(big),
		"200k cookie occurrences":      {Header: http.Header{"Cookie": {manyCookies}}},
		"4 MiB Authorization of dots":  atkBearer(strings.Repeat(".", size)),
	}
	for name, req := range reqs {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const runs = 20
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range runs {
				if s, err := g.Check(ctx, req); s != nil || err != nil {
					t.Fatalf("want not ours, got %s", atkDescribe(s, err))
				}
			}
			runtime.ReadMemStats(&after)
			per := (after.TotalAlloc - before.TotalAlloc) / runs
			t.Logf("%d bytes allocated per request", per)
			if per > 64<<10 {
				t.Errorf("%d bytes allocated per request for a %d-byte input", per, size)
			}
		})
	}
}
