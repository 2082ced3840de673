package sessionissuer

import (
	"context"
	"time"
)

// DefaultStoreTimeout bounds each store call a request makes ([WithStoreTimeout]).
const DefaultStoreTimeout = 3 * time.Second

// timeoutStore puts a deadline on every store call made for a request
// (create, refresh, revoke, list, payload), so that a store that stops
// answering without closing its connections (a stopped server, a row lock
// held by another client) fails the request with [ErrStoreUnavailable]
// after d instead of holding it until the client gives up: an HTTP request's
// context has no deadline of its own. The caller's deadline still applies
// when it is earlier. The background calls keep their own bounds: the key
// steps (5 s), the sweep (10 s), and the revocation watch, which is meant to
// last.
type timeoutStore struct {
	Store
	d time.Duration
}

func (s timeoutStore) Create(ctx context.Context, rec *Record) error {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.Store.Create(ctx, rec)
}

func (s timeoutStore) Get(ctx context.Context, handle string) (*Record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.Store.Get(ctx, handle)
}

func (s timeoutStore) SwapRefresh(ctx context.Context, handle string, version uint64, u RefreshUpdate) (*Record, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.Store.SwapRefresh(ctx, handle, version, u)
}

func (s timeoutStore) SetPayload(ctx context.Context, handle string, payload []byte) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.Store.SetPayload(ctx, handle, payload)
}

func (s timeoutStore) Revoke(ctx context.Context, handle string, at time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.Store.Revoke(ctx, handle, at)
}

func (s timeoutStore) RevokeSubject(ctx context.Context, subject, keep string, at time.Time) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.Store.RevokeSubject(ctx, subject, keep, at)
}

func (s timeoutStore) List(ctx context.Context, subject string, now time.Time) ([]Record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.d)
	defer cancel()
	return s.Store.List(ctx, subject, now)
}
