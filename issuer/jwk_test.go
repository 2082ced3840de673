package sessionissuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"slices"
	"testing"
)

// testKeys returns one fresh key per algorithm.
func testKeys(t testing.TB) map[string]crypto.Signer {
	t.Helper()
	out := map[string]crypto.Signer{}
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		k, err := generateKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		out[alg] = k
	}
	return out
}

// The thumbprint equals SHA-256 over the required members serialised by
// encoding/json (sorted names, no whitespace): an independent canonical form.
func TestThumbprintMatchesCanonicalJSON(t *testing.T) {
	for alg, k := range testKeys(t) {
		t.Run(alg, func(t *testing.T) {
			jwk, err := publicJWK("kid", alg, k.Public())
			if err != nil {
				t.Fatal(err)
			}
			var all map[string]string
			if err := json.Unmarshal(jwk, &all); err != nil {
				t.Fatal(err)
			}
			required := map[string][]string{"EC": {"crv", "kty", "x", "y"}, "OKP": {"crv", "kty", "x"}, "RSA": {"e", "kty", "n"}}[all["kty"]]
			if required == nil {
				t.Fatalf("kty %q", all["kty"])
			}
			sub := map[string]string{}
			for _, n := range required {
				sub[n] = all[n]
			}
			canon, _ := json.Marshal(sub)
			sum := sha256.Sum256(canon)
			got, err := thumbprint(k.Public())
			if err != nil {
				t.Fatal(err)
			}
			if want := b64.EncodeToString(sum[:]); got != want {
				t.Fatalf("thumbprint %s, want %s over %s", got, want, canon)
			}
		})
	}
}

// RFC 8037 Appendix A.1–A.3: the Ed25519 example key and its thumbprint.
func TestThumbprintRFC8037(t *testing.T) {
	d, _ := b64.DecodeString("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
	priv := ed25519.NewKeyFromSeed(d)
	jwk, err := publicJWK("k", "EdDSA", priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k","alg":"EdDSA","use":"sig"}`
	if string(jwk) != want {
		t.Fatalf("JWK\n%s\nwant\n%s", jwk, want)
	}
	if tp, _ := thumbprint(priv.Public()); tp != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("thumbprint %s", tp)
	}
}

// Published JWKs hold the public members, kid, alg and use, and nothing else.
func TestPublicJWKMembers(t *testing.T) {
	want := map[string][]string{
		"ES256": {"alg", "crv", "kid", "kty", "use", "x", "y"},
		"EdDSA": {"alg", "crv", "kid", "kty", "use", "x"},
		"RS256": {"alg", "e", "kid", "kty", "n", "use"},
	}
	for alg, k := range testKeys(t) {
		jwk, err := publicJWK("the-kid", alg, k.Public())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(jwk, &m); err != nil {
			t.Fatalf("%s: %s: %v", alg, jwk, err)
		}
		if got := slices.Sorted(maps.Keys(m)); !slices.Equal(got, want[alg]) {
			t.Fatalf("%s: members %v, want %v", alg, got, want[alg])
		}
		if m["kid"] != "the-kid" || m["alg"] != alg || m["use"] != "sig" {
			t.Fatalf("%s: %s", alg, jwk)
		}
		switch alg {
		case "ES256":
			if m["kty"] != "EC" || m["crv"] != "P-256" {
				t.Fatal(string(jwk))
			}
		case "EdDSA":
			if m["kty"] != "OKP" || m["crv"] != "Ed25519" {
				t.Fatal(string(jwk))
			}
		case "RS256":
			if m["kty"] != "RSA" || m["e"] != "AQAB" {
				t.Fatal(string(jwk))
			}
			if n, _ := b64.DecodeString(m["n"]); len(n) != 256 {
				t.Fatalf("n is %d bytes", len(n))
			}
		}
	}
}

// EC coordinates are full width (RFC 7518 §6.2.1.2) even when they start
// with zero bytes.
func TestECCoordinatesFullWidth(t *testing.T) {
	for i := 0; i < 5000; i++ {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pt, _ := k.PublicKey.Bytes()
		if pt[1] != 0 && pt[33] != 0 {
			continue
		}
		jwk, err := publicJWK("k", "ES256", &k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		_ = json.Unmarshal(jwk, &m)
		x, _ := b64.DecodeString(m["x"])
		y, _ := b64.DecodeString(m["y"])
		if len(x) != 32 || len(y) != 32 {
			t.Fatalf("coordinates of %d and %d bytes: %s", len(x), len(y), jwk)
		}
		return
	}
	t.Skip("no coordinate with a leading zero byte in 5000 keys")
}

func TestJWKRefusesOtherKeys(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, pub := range map[string]crypto.PublicKey{
		"P-384":         &p384.PublicKey,
		"short Ed25519": ed25519.PublicKey(make([]byte, 16)),
		"nil":           nil,
		"string":        "key",
	} {
		if _, err := thumbprint(pub); err == nil {
			t.Errorf("%s: thumbprint accepted", name)
		}
		if _, err := publicJWK("k", "ES256", pub); err == nil {
			t.Errorf("%s: JWK accepted", name)
		}
	}
}

func TestJWKSDocument(t *testing.T) {
	if got := string(jwksDocument(nil)); got != `{"keys":[]}` {
		t.Fatal(got)
	}
	if got := string(jwksDocument([][]byte{[]byte(`{"a":"1"}`), []byte(`{"b":"2"}`)})); got != `{"keys":[{"a":"1"},{"b":"2"}]}` {
		t.Fatal(got)
	}
}
