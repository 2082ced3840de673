package sessionissuer

import "context"

// Ready waits until the issuer's signing keys are loaded (or generated, once
// for all instances sharing the store), so that a verifier built next from
// [Issuer.VerifierOptions] finds them on its first load instead of
// answering KEYS_UNAVAILABLE until its retry. It returns early with an error
// wrapping [ErrMasterKey] or [ErrKeyRing] when the stored ring cannot be
// used, and an error wrapping [ErrStoreUnavailable] when ctx ends first.
func (i *Issuer) Ready(ctx context.Context) error { return i.keys.ready(ctx) }
