package sessionissuer

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// This file is the key ring as the store holds it: one JSON blob with every
// signing key, its schedule and its private key, sealed with AES-256-GCM
// under the master key when one is configured (docs/issuer-keys.md).
//
// Format (version 1):
//
//	{"format":"sessionguard-keyring","v":1,"master":"<master key id>",
//	 "keys":[{"kid":…,"alg":…,"published":ms,"activates":ms,
//	          "retires":ms,"unpublish":ms,"enc":"A256GCM"|"none","key":b64url}]}
//
// Times are unix milliseconds; retires and unpublish are absent until a
// successor is scheduled. "key" is the PKCS #8 DER of the private key: in
// the clear with "enc":"none", or nonce || AES-GCM ciphertext with
// "enc":"A256GCM", the additional data naming the format, alg and kid so that
// a sealed key moved to another entry fails authentication. "master" is a
// 96-bit id derived from the master key (HKDF, a different label than the
// encryption key), so a ring opened with another master key is told apart
// from a tampered one without trying to decrypt.

// ErrMasterKey is returned (wrapped) when the key ring in the store cannot
// be opened with the configured master key: it was sealed under another
// master key, it is sealed and no master key is configured, or it holds
// unencrypted private keys while a master key is configured (refused: with
// a master key, only keys sealed under it may sign). The issuer then keeps
// the keys it has and never overwrites the stored ring (docs/issuer-keys.md).
var ErrMasterKey = errors.New("sessionissuer: the stored key ring does not match the configured master key")

// ErrKeyRing is returned (wrapped) when the key ring in the store is
// malformed or fails authentication (a sealed key was altered or moved, a
// key does not match its kid or algorithm). The issuer then keeps the keys it
// has and never overwrites the stored ring (docs/issuer-keys.md).
var ErrKeyRing = errors.New("sessionissuer: the stored key ring is malformed or was tampered with")

const (
	ringFormat  = "sessionguard-keyring"
	ringVersion = 1
	encNone     = "none"
	encAESGCM   = "A256GCM"
	// maxStoredKeys bounds what a ring read from the store may hold.
	maxStoredKeys = 64
)

// ringKey is one signing key with its schedule. Values are never modified
// once a ring holding them is installed; the schedule planner copies a key
// before changing it.
type ringKey struct {
	kid, alg string
	// published: written to the store, in every instance's JWKS after its
	// next reload. activates: the time it starts signing (a successor's
	// activation ends it). retires: the successor's activation; zero while
	// it has none. unpublish: retires + access lifetime + verifier leeway,
	// rounded up to a second; zero while retires is.
	published, activates, retires, unpublish time.Time

	priv   crypto.Signer
	pub    crypto.PublicKey
	stored []byte // the private key as stored: sealed, or plain PKCS #8
	enc    string
	jwk    []byte // public JWK for the JWKS
	header string // base64url protected header of the tokens it signs
}

// sealer seals and opens private keys under the master key.
type sealer struct {
	aead cipher.AEAD
	id   string
}

func newSealer(master []byte) (*sealer, error) {
	if master == nil {
		return nil, nil
	}
	if len(master) != masterKeySize {
		return nil, errors.New("master key must be 32 bytes")
	}
	ek, err := hkdf.Key(sha256.New, master, nil, "sessionguard keyring A256GCM v1", 32)
	if err != nil {
		return nil, errors.New("master key derivation failed")
	}
	idb, err := hkdf.Key(sha256.New, master, nil, "sessionguard keyring master key id v1", 12)
	if err != nil {
		return nil, errors.New("master key derivation failed")
	}
	block, err := aes.NewCipher(ek)
	clear(ek)
	if err != nil {
		return nil, errors.New("master key rejected by AES")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, errors.New("AES-GCM unavailable")
	}
	return &sealer{aead: aead, id: b64.EncodeToString(idb)}, nil
}

func sealAD(alg, kid string) []byte {
	return []byte(ringFormat + "/1\x00" + alg + "\x00" + kid)
}

func (s *sealer) seal(alg, kid string, der []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(der)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, errors.New("no randomness for a nonce")
	}
	return s.aead.Seal(nonce, nonce, der, sealAD(alg, kid)), nil
}

func (s *sealer) open(alg, kid string, sealed []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns+s.aead.Overhead() {
		return nil, errors.New("sealed key too short")
	}
	return s.aead.Open(nil, sealed[:ns], sealed[ns:], sealAD(alg, kid))
}

// newRingKey generates a key for alg, seals it when s is set, and fills in
// the public parts.
func newRingKey(alg string, s *sealer, published, activates time.Time) (*ringKey, error) {
	priv, err := generateKey(alg)
	if err != nil {
		return nil, errors.New("sessionissuer: generating a signing key failed")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, errors.New("sessionissuer: encoding a signing key failed")
	}
	k := &ringKey{alg: alg, published: published, activates: activates, priv: priv, enc: encNone, stored: der}
	if err := k.fillPublic(); err != nil {
		return nil, errors.New("sessionissuer: a generated key has no valid public key")
	}
	if s != nil {
		sealed, err := s.seal(alg, k.kid, der)
		clear(der)
		if err != nil {
			return nil, fmt.Errorf("sessionissuer: sealing a signing key failed: %w", err)
		}
		k.stored, k.enc = sealed, encAESGCM
	}
	return k, nil
}

// fillPublic sets kid (the RFC 7638 thumbprint), the public JWK and the
// protected header from priv.
func (k *ringKey) fillPublic() error {
	k.pub = k.priv.Public()
	kid, err := thumbprint(k.pub)
	if err != nil {
		return err
	}
	jwk, err := publicJWK(kid, k.alg, k.pub)
	if err != nil {
		return err
	}
	k.kid, k.jwk, k.header = kid, jwk, protectedHeader(k.alg, kid)
	return nil
}

type ringJSON struct {
	Format string    `json:"format"`
	V      int       `json:"v"`
	Master string    `json:"master,omitempty"`
	Keys   []keyJSON `json:"keys"`
}

type keyJSON struct {
	Kid       string `json:"kid"`
	Alg       string `json:"alg"`
	Published int64  `json:"published"`
	Activates int64  `json:"activates"`
	Retires   int64  `json:"retires,omitempty"`
	Unpublish int64  `json:"unpublish,omitempty"`
	Enc       string `json:"enc"`
	Key       string `json:"key"`
}

func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// sortRing orders keys by activation, then kid: the stable order of the
// stored ring and of the JWKS.
func sortRing(keys []*ringKey) {
	sort.SliceStable(keys, func(i, j int) bool {
		if !keys[i].activates.Equal(keys[j].activates) {
			return keys[i].activates.Before(keys[j].activates)
		}
		return keys[i].kid < keys[j].kid
	})
}

// encodeRing writes keys (sorted) as the stored blob. Sealed keys are
// written as they were sealed; nothing is re-encrypted.
func encodeRing(keys []*ringKey, s *sealer) ([]byte, error) {
	r := ringJSON{Format: ringFormat, V: ringVersion, Keys: make([]keyJSON, len(keys))}
	if s != nil {
		r.Master = s.id
	}
	for i, k := range keys {
		r.Keys[i] = keyJSON{
			Kid: k.kid, Alg: k.alg,
			Published: toMillis(k.published), Activates: toMillis(k.activates),
			Retires: toMillis(k.retires), Unpublish: toMillis(k.unpublish),
			Enc: k.enc, Key: b64.EncodeToString(k.stored),
		}
	}
	blob, err := json.Marshal(r)
	if err != nil {
		return nil, errors.New("sessionissuer: encoding the key ring failed")
	}
	return blob, nil
}

// decodeRing parses and opens a stored ring. Its errors wrap [ErrMasterKey]
// or [ErrKeyRing] and never carry key material or the blob's bytes.
func decodeRing(blob []byte, s *sealer) ([]*ringKey, error) {
	var r ringJSON
	if err := json.Unmarshal(blob, &r); err != nil {
		return nil, fmt.Errorf("%w: not a key ring document", ErrKeyRing)
	}
	if r.Format != ringFormat || r.V != ringVersion {
		return nil, fmt.Errorf("%w: unknown key ring format or version", ErrKeyRing)
	}
	if len(r.Keys) == 0 || len(r.Keys) > maxStoredKeys {
		return nil, fmt.Errorf("%w: key ring holds no key or too many", ErrKeyRing)
	}
	switch {
	case s == nil && r.Master != "":
		return nil, fmt.Errorf("%w: the key ring is encrypted and no master key is configured", ErrMasterKey)
	case s != nil && r.Master == "":
		return nil, fmt.Errorf("%w: the key ring holds unencrypted private keys and a master key is configured", ErrMasterKey)
	case s != nil && r.Master != s.id:
		return nil, fmt.Errorf("%w: the key ring was encrypted under another master key", ErrMasterKey)
	}
	keys := make([]*ringKey, 0, len(r.Keys))
	seen := make(map[string]bool, len(r.Keys))
	for i := range r.Keys {
		k, err := decodeKey(&r.Keys[i], s)
		if err != nil {
			return nil, err
		}
		if seen[k.kid] {
			return nil, fmt.Errorf("%w: a key id occurs twice", ErrKeyRing)
		}
		seen[k.kid] = true
		keys = append(keys, k)
	}
	sortRing(keys)
	return keys, nil
}

func decodeKey(kj *keyJSON, s *sealer) (*ringKey, error) {
	if !validAlg(kj.Alg) || kj.Kid == "" || kj.Activates == 0 {
		return nil, fmt.Errorf("%w: a key entry lacks a valid alg, kid or activation", ErrKeyRing)
	}
	stored, err := b64.DecodeString(kj.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: a private key is not base64url", ErrKeyRing)
	}
	der := stored
	switch {
	case kj.Enc == encAESGCM && s != nil:
		if der, err = s.open(kj.Alg, kj.Kid, stored); err != nil {
			return nil, fmt.Errorf("%w: a sealed private key failed authentication", ErrKeyRing)
		}
		defer clear(der)
	case kj.Enc == encNone && s == nil:
	case kj.Enc == encNone || kj.Enc == encAESGCM:
		return nil, fmt.Errorf("%w: a key's encryption does not match the configured master key", ErrMasterKey)
	default:
		return nil, fmt.Errorf("%w: unknown key encryption", ErrKeyRing)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: a private key is not valid PKCS #8", ErrKeyRing)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok || !keyMatchesAlg(priv, kj.Alg) {
		return nil, fmt.Errorf("%w: a private key does not match its algorithm", ErrKeyRing)
	}
	k := &ringKey{
		alg:       kj.Alg,
		published: fromMillis(kj.Published), activates: fromMillis(kj.Activates),
		retires: fromMillis(kj.Retires), unpublish: fromMillis(kj.Unpublish),
		priv: priv, stored: stored, enc: kj.Enc,
	}
	if err := k.fillPublic(); err != nil {
		return nil, fmt.Errorf("%w: a private key has no valid public key", ErrKeyRing)
	}
	if k.kid != kj.Kid {
		return nil, fmt.Errorf("%w: a private key does not match its key id", ErrKeyRing)
	}
	return k, nil
}
