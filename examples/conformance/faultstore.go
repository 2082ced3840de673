package main

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// faultStore wraps a store for the test-only fault injection of
// conformance-server.md: while failing, every call fails as an unreachable
// store would (the issuer reports STORE_UNAVAILABLE). The revocation feed is
// passed through: it is a long-lived watch, not a call.
type faultStore struct {
	sessionissuer.Store
	failing atomic.Bool
}

var errInjected = errors.New("conformance: injected store outage")

func (s *faultStore) fail() error {
	if s.failing.Load() {
		return errInjected
	}
	return nil
}

func (s *faultStore) Create(ctx context.Context, rec *sessionissuer.Record) error {
	if err := s.fail(); err != nil {
		return err
	}
	return s.Store.Create(ctx, rec)
}

func (s *faultStore) Get(ctx context.Context, handle string) (*sessionissuer.Record, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, handle)
}

func (s *faultStore) SwapRefresh(ctx context.Context, handle string, version uint64, u sessionissuer.RefreshUpdate) (*sessionissuer.Record, bool, error) {
	if err := s.fail(); err != nil {
		return nil, false, err
	}
	return s.Store.SwapRefresh(ctx, handle, version, u)
}

func (s *faultStore) SetPayload(ctx context.Context, handle string, payload []byte) (bool, error) {
	if err := s.fail(); err != nil {
		return false, err
	}
	return s.Store.SetPayload(ctx, handle, payload)
}

func (s *faultStore) Revoke(ctx context.Context, handle string, at time.Time) (bool, error) {
	if err := s.fail(); err != nil {
		return false, err
	}
	return s.Store.Revoke(ctx, handle, at)
}

func (s *faultStore) RevokeSubject(ctx context.Context, subject, keep string, at time.Time) ([]string, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.RevokeSubject(ctx, subject, keep, at)
}

func (s *faultStore) List(ctx context.Context, subject string, now time.Time) ([]sessionissuer.Record, error) {
	if err := s.fail(); err != nil {
		return nil, err
	}
	return s.Store.List(ctx, subject, now)
}

func (s *faultStore) DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := s.fail(); err != nil {
		return 0, err
	}
	return s.Store.DeleteExpired(ctx, before, limit)
}

func (s *faultStore) LoadKeys(ctx context.Context) ([]byte, uint64, error) {
	if err := s.fail(); err != nil {
		return nil, 0, err
	}
	return s.Store.LoadKeys(ctx)
}

func (s *faultStore) SwapKeys(ctx context.Context, version uint64, blob []byte) (bool, error) {
	if err := s.fail(); err != nil {
		return false, err
	}
	return s.Store.SwapKeys(ctx, version, blob)
}
