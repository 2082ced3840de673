package sessionissuer

import sessionguard "github.com/sessionguard/sessionguard/core"

// newKeySource is the in-process key source of [Issuer.KeySource]: the
// core loads the issuer's published keys from memory on its own schedule
// (no HTTP fetch), so a rotation reaches in-process verifiers as it reaches
// remote ones.
func (i *Issuer) newKeySource() *sessionguard.KeySource {
	// The published keys, read in process and reloaded as they rotate
	// (docs/issuer-keys.md).
	return sessionguard.FromLoader(i.keys.loader())
}

// Revocations is the revocation check for core routes
// (sessionguard.WithRevocationCheck): a token whose sid was revoked within
// the last access lifetime is refused (docs/lifecycle.md §4). Fed at once by
// this process and within 2 s by others sharing the store; no store round
// trip per request, no allocation.
func (i *Issuer) Revocations() sessionguard.RevocationChecker { return i.revs }
