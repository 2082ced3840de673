package sessionissuer

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func masterKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// privateSecrets lists byte strings that would reveal k's private key.
func privateSecrets(t *testing.T, k *ringKey) [][]byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		t.Fatal(err)
	}
	raw := [][]byte{der}
	switch p := k.priv.(type) {
	case *ecdsa.PrivateKey:
		d, err := p.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, d)
	case ed25519.PrivateKey:
		raw = append(raw, p.Seed())
	case *rsa.PrivateKey:
		raw = append(raw, p.D.Bytes(), p.Primes[0].Bytes())
	}
	var out [][]byte
	for _, r := range raw {
		out = append(out, r,
			[]byte(base64.RawURLEncoding.EncodeToString(r)), []byte(base64.StdEncoding.EncodeToString(r)),
			[]byte(hex.EncodeToString(r)))
	}
	return out
}

// rotated returns a store holding a ring of two keys and the manager that
// wrote it.
func rotated(t *testing.T, c keyConfig) (*keyStore, *keyManager, *testClock) {
	t.Helper()
	st, clk := newKeyStore(), newTestClock()
	m := newTestManager(t, st, clk, c)
	mustStep(t, m)
	clk.Advance(m.cfg.Rotation)
	mustStep(t, m)
	if n := len(m.ring.Load().keys); n != 2 {
		t.Fatalf("%d keys", n)
	}
	return st, m, clk
}

func TestSealedAtRest(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			st, m, clk := rotated(t, keyConfig{Alg: alg, MasterKey: masterKey(7)})
			blob, _, _ := st.state()
			for _, k := range m.ring.Load().keys {
				for _, s := range privateSecrets(t, k) {
					if bytes.Contains(blob, s) {
						t.Fatalf("the stored ring holds private key bytes in the clear")
					}
				}
			}
			var r ringJSON
			if err := json.Unmarshal(blob, &r); err != nil {
				t.Fatal(err)
			}
			if r.Master == "" || r.V != 1 || r.Format != "sessionguard-keyring" {
				t.Fatalf("ring header %+v", r)
			}
			for _, k := range r.Keys {
				if k.Enc != "A256GCM" {
					t.Fatalf("key %s stored with enc %q", k.Kid, k.Enc)
				}
			}
			// Another instance with the same master key opens it and signs
			// with the same key.
			other := newTestManager(t, st, clk, keyConfig{Alg: alg, MasterKey: masterKey(7)})
			mustStep(t, other)
			a, _ := m.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
			b, _ := other.sign(context.Background(), claimsAt(clk.Now(), time.Minute))
			if tokenHeader(t, a)["kid"] != tokenHeader(t, b)["kid"] {
				t.Fatal("instances sign with different keys")
			}
		})
	}
}

func TestSealNoncesDiffer(t *testing.T) {
	s, err := newSealer(masterKey(1))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.seal("ES256", "k", []byte("secret"))
	b, _ := s.seal("ES256", "k", []byte("secret"))
	if bytes.Equal(a, b) || bytes.Equal(a[:12], b[:12]) {
		t.Fatal("two seals share a nonce")
	}
	if pt, err := s.open("ES256", "k", a); err != nil || string(pt) != "secret" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if _, err := s.open("ES256", "other", a); err == nil {
		t.Fatal("opened under another kid")
	}
	if _, err := s.open("EdDSA", "k", a); err == nil {
		t.Fatal("opened under another alg")
	}
	if _, err := s.open("ES256", "k", a[:10]); err == nil {
		t.Fatal("opened a truncated seal")
	}
}

func TestPlainAtRestWithoutMasterKey(t *testing.T) {
	st, m, _ := rotated(t, keyConfig{})
	blob, _, _ := st.state()
	var r ringJSON
	if err := json.Unmarshal(blob, &r); err != nil {
		t.Fatal(err)
	}
	if r.Master != "" {
		t.Fatal("master key id without a master key")
	}
	for i, k := range m.ring.Load().keys {
		der, _ := x509.MarshalPKCS8PrivateKey(k.priv)
		if r.Keys[i].Enc != "none" || r.Keys[i].Key != base64.RawURLEncoding.EncodeToString(der) {
			t.Fatalf("key %d not stored as plain PKCS #8", i)
		}
	}
}

// assertCleanError: the error names its class and carries neither key
// material nor the blob.
func assertCleanError(t *testing.T, err error, class error, blob []byte, secrets ...[]byte) {
	t.Helper()
	if !errors.Is(err, class) {
		t.Fatalf("err = %v, want %v", err, class)
	}
	msg := err.Error()
	var r ringJSON
	_ = json.Unmarshal(blob, &r)
	for _, k := range r.Keys {
		if len(k.Key) > 8 && strings.Contains(msg, k.Key[:8]) {
			t.Fatalf("stored key bytes in the error: %q", msg)
		}
	}
	for _, s := range secrets {
		for _, enc := range []string{string(s), hex.EncodeToString(s), base64.StdEncoding.EncodeToString(s), base64.RawURLEncoding.EncodeToString(s)} {
			if strings.Contains(msg, enc) {
				t.Fatalf("secret in the error: %q", msg)
			}
		}
	}
}

func TestMasterKeyMismatch(t *testing.T) {
	sealed, _, _ := rotated(t, keyConfig{MasterKey: masterKey(7)})
	plain, _, _ := rotated(t, keyConfig{})
	for _, tc := range []struct {
		name   string
		st     *keyStore
		master []byte
	}{
		{"another master key", sealed, masterKey(8)},
		{"sealed ring, no master key", sealed, nil},
		{"plain ring, a master key", plain, masterKey(7)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blob, ver, _ := tc.st.state()
			m := newTestManager(t, tc.st, newTestClock(), keyConfig{MasterKey: tc.master})
			err := m.step(context.Background())
			assertCleanError(t, err, ErrMasterKey, blob, masterKey(7), masterKey(8))
			if _, v, _ := tc.st.state(); v != ver {
				t.Fatal("the stored ring was overwritten")
			}
			// ready reports it at once instead of waiting out ctx.
			m.firstBackoff = time.Hour
			m.start()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			if err := m.ready(ctx); !errors.Is(err, ErrMasterKey) || time.Since(start) > 5*time.Second {
				t.Fatalf("ready: %v after %v", err, time.Since(start))
			}
			if _, err := m.sign(context.Background(), []byte(`{}`)); !errors.Is(err, ErrStoreUnavailable) || !errors.Is(err, ErrMasterKey) {
				t.Fatalf("sign: %v", err)
			}
		})
	}
}

// mutate rewrites the stored ring through f.
func mutate(t *testing.T, st *keyStore, f func(r *ringJSON)) {
	t.Helper()
	blob, _, _ := st.state()
	var r ringJSON
	if err := json.Unmarshal(blob, &r); err != nil {
		t.Fatal(err)
	}
	f(&r)
	nb, _ := json.Marshal(r)
	st.set(func(s *keyStore) { s.blob, s.ver = nb, s.ver+1 })
}

func flipByte(s string, i int) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	b[(i+len(b))%len(b)] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestTamperedRing(t *testing.T) {
	type tc struct {
		name   string
		master bool
		f      func(r *ringJSON)
		class  error
	}
	cases := []tc{
		{"sealed key bit flipped", true, func(r *ringJSON) { r.Keys[0].Key = flipByte(r.Keys[0].Key, 40) }, ErrKeyRing},
		{"nonce bit flipped", true, func(r *ringJSON) { r.Keys[1].Key = flipByte(r.Keys[1].Key, 0) }, ErrKeyRing},
		{"tag bit flipped", true, func(r *ringJSON) { r.Keys[1].Key = flipByte(r.Keys[1].Key, -1) }, ErrKeyRing},
		{"sealed keys swapped between entries", true, func(r *ringJSON) { r.Keys[0].Key, r.Keys[1].Key = r.Keys[1].Key, r.Keys[0].Key }, ErrKeyRing},
		{"kid changed", true, func(r *ringJSON) { r.Keys[0].Kid = r.Keys[0].Kid[1:] + "A" }, ErrKeyRing},
		{"alg changed", true, func(r *ringJSON) { r.Keys[0].Alg = "EdDSA" }, ErrKeyRing},
		{"sealed key replaced by a plain one", true, func(r *ringJSON) { r.Keys[0].Enc = "none" }, ErrMasterKey},
		{"master id removed", true, func(r *ringJSON) { r.Master = "" }, ErrMasterKey},
		{"sealed key truncated", true, func(r *ringJSON) { r.Keys[0].Key = r.Keys[0].Key[:10] }, ErrKeyRing},
		{"plain keys swapped between entries", false, func(r *ringJSON) { r.Keys[0].Key, r.Keys[1].Key = r.Keys[1].Key, r.Keys[0].Key }, ErrKeyRing},
		{"plain key bit flipped", false, func(r *ringJSON) { r.Keys[0].Key = flipByte(r.Keys[0].Key, 40) }, ErrKeyRing},
		{"plain key not base64url", false, func(r *ringJSON) { r.Keys[0].Key = "!!" }, ErrKeyRing},
		{"plain key claims to be sealed", false, func(r *ringJSON) { r.Keys[0].Enc = "A256GCM" }, ErrMasterKey},
		{"unknown enc", false, func(r *ringJSON) { r.Keys[0].Enc = "ROT13" }, ErrKeyRing},
		{"duplicate kid", false, func(r *ringJSON) { r.Keys[1] = r.Keys[0] }, ErrKeyRing},
		{"unknown version", false, func(r *ringJSON) { r.V = 2 }, ErrKeyRing},
		{"unknown format", false, func(r *ringJSON) { r.Format = "x" }, ErrKeyRing},
		{"no keys", false, func(r *ringJSON) { r.Keys = nil }, ErrKeyRing},
		{"HS256 entry", false, func(r *ringJSON) { r.Keys[0].Alg = "HS256" }, ErrKeyRing},
		{"no activation", false, func(r *ringJSON) { r.Keys[0].Activates = 0 }, ErrKeyRing},
		{"1024-bit RSA key", false, func(r *ringJSON) {
			k, _ := rsa.GenerateKey(rand.Reader, 1024)
			der, _ := x509.MarshalPKCS8PrivateKey(k)
			r.Keys[0].Alg, r.Keys[0].Key = "RS256", base64.RawURLEncoding.EncodeToString(der)
		}, ErrKeyRing},
		{"Ed25519 key under ES256", false, func(r *ringJSON) {
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			der, _ := x509.MarshalPKCS8PrivateKey(k)
			r.Keys[0].Key = base64.RawURLEncoding.EncodeToString(der)
		}, ErrKeyRing},
		{"a key planted with its own kid", false, func(r *ringJSON) {
			k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			der, _ := x509.MarshalPKCS8PrivateKey(k)
			r.Keys[0].Key = base64.RawURLEncoding.EncodeToString(der)
		}, ErrKeyRing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mk []byte
			if c.master {
				mk = masterKey(7)
			}
			st, m, _ := rotated(t, keyConfig{MasterKey: mk})
			before := m.ring.Load()
			mutate(t, st, c.f)
			blob, ver, _ := st.state()
			err := m.step(context.Background())
			var secrets [][]byte
			for _, k := range before.keys {
				secrets = append(secrets, privateSecrets(t, k)...)
			}
			assertCleanError(t, err, c.class, blob, append(secrets, masterKey(7))...)
			if m.ring.Load() != before {
				t.Fatal("the loaded ring was replaced by a tampered one")
			}
			if _, v, _ := st.state(); v != ver {
				t.Fatal("the stored ring was overwritten")
			}
			if _, err := m.sign(context.Background(), []byte(`{}`)); err != nil {
				t.Fatalf("the loaded key stopped signing: %v", err)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		st, m, _ := rotated(t, keyConfig{})
		st.set(func(s *keyStore) { s.blob, s.ver = []byte("garbage"), s.ver+1 })
		if err := m.step(context.Background()); !errors.Is(err, ErrKeyRing) {
			t.Fatalf("err = %v", err)
		}
	})
}

// A ring whose older key lost its retirement is repaired, not published
// for ever.
func TestRingRepair(t *testing.T) {
	for name, f := range map[string]func(r *ringJSON){
		"no retirement":     func(r *ringJSON) { r.Keys[0].Retires, r.Keys[0].Unpublish = 0, 0 },
		"no unpublish time": func(r *ringJSON) { r.Keys[0].Unpublish = 0 },
	} {
		t.Run(name, func(t *testing.T) {
			st, m, clk := rotated(t, keyConfig{})
			mutate(t, st, f)
			clk.Advance(m.lead + m.cfg.AccessTTL + time.Minute)
			mustStep(t, m)
			if n := len(m.ring.Load().keys); n != 1 {
				t.Fatalf("%d keys after repair", n)
			}
			if doc, _ := m.jwks(); len(jwksKids(t, doc)) != 1 {
				t.Fatalf("JWKS after repair: %s", doc)
			}
		})
	}
}
