package sessionissuer

import "errors"

// ErrStoreUnavailable is what every operation returns (wrapped) when its
// store failed or timed out. It is never a logout: over HTTP it is a 503 with
// Retry-After that clears no cookie (docs/lifecycle.md §6).
var ErrStoreUnavailable = errors.New("sessionissuer: store unavailable")
