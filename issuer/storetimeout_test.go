package sessionissuer_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// hangingStore stands for a store that stops answering but keeps its
// connections open (a stopped server, a row lock held elsewhere): while
// hang is set, each request-path call waits for its context to end.
type hangingStore struct {
	sessionissuer.Store
	hang atomic.Bool
}

func (h *hangingStore) wait(ctx context.Context) error {
	if !h.hang.Load() {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (h *hangingStore) Create(ctx context.Context, r *sessionissuer.Record) error {
	if err := h.wait(ctx); err != nil {
		return err
	}
	return h.Store.Create(ctx, r)
}

func (h *hangingStore) Get(ctx context.Context, handle string) (*sessionissuer.Record, error) {
	if err := h.wait(ctx); err != nil {
		return nil, err
	}
	return h.Store.Get(ctx, handle)
}

func (h *hangingStore) SwapRefresh(ctx context.Context, handle string, v uint64, u sessionissuer.RefreshUpdate) (*sessionissuer.Record, bool, error) {
	if err := h.wait(ctx); err != nil {
		return nil, false, err
	}
	return h.Store.SwapRefresh(ctx, handle, v, u)
}

func (h *hangingStore) Revoke(ctx context.Context, handle string, at time.Time) (bool, error) {
	if err := h.wait(ctx); err != nil {
		return false, err
	}
	return h.Store.Revoke(ctx, handle, at)
}

func (h *hangingStore) RevokeSubject(ctx context.Context, s, keep string, at time.Time) ([]string, error) {
	if err := h.wait(ctx); err != nil {
		return nil, err
	}
	return h.Store.RevokeSubject(ctx, s, keep, at)
}

func (h *hangingStore) List(ctx context.Context, s string, now time.Time) ([]sessionissuer.Record, error) {
	if err := h.wait(ctx); err != nil {
		return nil, err
	}
	return h.Store.List(ctx, s, now)
}

func (h *hangingStore) SetPayload(ctx context.Context, handle string, p []byte) (bool, error) {
	if err := h.wait(ctx); err != nil {
		return false, err
	}
	return h.Store.SetPayload(ctx, handle, p)
}

// TestStoreTimeout: with a store that hangs, every request-path operation
// fails with ErrStoreUnavailable (wrapping DeadlineExceeded) after the store
// timeout although the caller's context has no deadline; the session is
// unharmed once the store answers again.
func TestStoreTimeout(t *testing.T) {
	if _, err := sessionissuer.New(sessionissuer.NewMemoryStore(), sessionissuer.WithIssuer(testIss),
		sessionissuer.WithStoreTimeout(time.Millisecond)); err == nil {
		t.Error("WithStoreTimeout(1ms) accepted")
	}
	hs := &hangingStore{Store: sessionissuer.NewMemoryStore()}
	const d = 100 * time.Millisecond
	i := newIssuer(t, hs, sessionissuer.WithStoreTimeout(d))
	ctx := context.Background() // no deadline, as an HTTP request's
	tok, err := i.Create(ctx, "u", nil, sessionissuer.Device{})
	if err != nil {
		t.Fatal(err)
	}
	hs.hang.Store(true)
	for name, op := range map[string]func() error{
		"Create":        func() error { _, err := i.Create(ctx, "u", nil, sessionissuer.Device{}); return err },
		"Refresh":       func() error { _, err := i.Refresh(ctx, tok.RefreshToken); return err },
		"Revoke":        func() error { return i.Revoke(ctx, tok.Handle) },
		"RevokeAll":     func() error { return i.RevokeAll(ctx, "u") },
		"List":          func() error { _, err := i.List(ctx, "u", ""); return err },
		"UpdatePayload": func() error { _, err := i.UpdatePayload(ctx, tok.Handle, map[string]any{"a": 1}); return err },
	} {
		start := time.Now()
		err := op()
		took := time.Since(start)
		if !errors.Is(err, sessionissuer.ErrStoreUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s = %v, want ErrStoreUnavailable wrapping DeadlineExceeded", name, err)
		}
		// A refresh may make two calls (the row is cached after Create, so
		// usually one): each is bounded by d.
		if took < d || took > 2*d+time.Second {
			t.Errorf("%s returned after %v, want about %v", name, took, d)
		}
	}
	hs.hang.Store(false)
	if _, err := i.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("Refresh once the store answers: %v", err)
	}
}
