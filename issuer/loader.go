package sessionissuer

import (
	"context"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// This file publishes the ring's public keys: the JWKS document served over
// HTTP and the in-process key loader a verifier in the same process reads
// without an HTTP fetch (docs/lifecycle.md §5).

// jwksCache is the JWKS of one installed ring, valid from from until until
// (the next unpublish time; zero: no such time).
type jwksCache struct {
	ring        *loadedRing
	from, until time.Time
	doc         []byte
}

// jwks returns the JWKS document of the published public keys (never a
// private member), in the ring's stable order (by activation), and the
// max-age to serve it with (the configured JWKS max-age, default 10 min).
// Before the first ring is loaded the document is {"keys":[]}. The returned
// slice is the caller's.
func (m *keyManager) jwks() (doc []byte, maxAge time.Duration) {
	lr := m.ring.Load()
	if lr == nil {
		return []byte(`{"keys":[]}`), m.cfg.JWKSMaxAge
	}
	now := m.cfg.Now()
	if c := m.jwk.Load(); c != nil && c.ring == lr && !now.Before(c.from) && (c.until.IsZero() || now.Before(c.until)) {
		return append([]byte(nil), c.doc...), m.cfg.JWKSMaxAge
	}
	c := &jwksCache{ring: lr, from: now}
	parts := make([][]byte, 0, len(lr.keys))
	for _, k := range lr.keys {
		if !k.publishedAt(now) {
			continue
		}
		parts = append(parts, k.jwk)
		if !k.unpublish.IsZero() && (c.until.IsZero() || k.unpublish.Before(c.until)) {
			c.until = k.unpublish
		}
	}
	c.doc = jwksDocument(parts)
	m.jwk.Store(c)
	return append([]byte(nil), c.doc...), m.cfg.JWKSMaxAge
}

// publicKeys lists the published keys at now.
func (m *keyManager) publicKeys() []sessionguard.PublicKey {
	lr := m.ring.Load()
	if lr == nil {
		return nil
	}
	now := m.cfg.Now()
	out := make([]sessionguard.PublicKey, 0, len(lr.keys))
	for _, k := range lr.keys {
		if k.publishedAt(now) {
			out = append(out, sessionguard.PublicKey{ID: k.kid, Algorithm: k.alg, Key: k.pub})
		}
	}
	return out
}

// keyLoader is the in-process source of the issuer's published keys, for
// sessionguard.FromLoader.
type keyLoader struct{ m *keyManager }

var _ sessionguard.KeyLoader = keyLoader{}

// loader returns the in-process source of the published keys: exactly the
// keys of the JWKS, read without I/O.
func (m *keyManager) loader() sessionguard.KeyLoader { return keyLoader{m} }

// LoadKeys returns the published public keys and how long they may be kept:
// the JWKS max-age or the ring reload interval, whichever is shorter (the
// keys only change when the ring is reloaded or a key is unpublished, and a
// call costs no I/O). The first call waits (under ctx, which the core bounds
// by its fetch timeout) for the first ring load, so a verifier built right
// after the issuer has keys as soon as the issuer does, instead of after a
// retry. While no ring is loaded the error wraps [ErrStoreUnavailable].
func (l keyLoader) LoadKeys(ctx context.Context) ([]sessionguard.PublicKey, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if l.m.ring.Load() == nil && l.m.started.Load() {
		select { // as sign does: wait for the first background step only
		case <-l.m.firstTry:
		case <-l.m.done:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	keys := l.m.publicKeys()
	if keys == nil {
		return nil, 0, newKeyError("sessionissuer: no signing key loaded yet", ErrStoreUnavailable, l.m.lastError())
	}
	return keys, min(l.m.cfg.JWKSMaxAge, l.m.reload), nil
}
