package sessionissuer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// opRecorder keeps the issuer events it is sent.
type opRecorder struct {
	sessionguard.NopObserver
	mu  sync.Mutex
	got []sessionguard.IssuerEvent
}

func (r *opRecorder) IssuerOperation(e sessionguard.IssuerEvent) {
	r.mu.Lock()
	r.got = append(r.got, e)
	r.mu.Unlock()
}

func (r *opRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.got {
		out = append(out, string(e.Op)+"/"+string(e.Result))
	}
	r.got = nil
	return out
}

func TestObserverEvents(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	rec := &opRecorder{}
	iss, err := sessionissuer.New(sessionissuer.NewMemoryStore(),
		sessionissuer.WithIssuer("https://issuer.example.test"),
		sessionissuer.WithMasterKey(bytes.Repeat([]byte{7}, 32)),
		sessionissuer.WithClock(clock),
		sessionissuer.WithLogger(slog.New(slog.DiscardHandler)),
		sessionissuer.WithObserver(rec))
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	expect := func(step string, want ...string) {
		t.Helper()
		if got := rec.take(); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: events %v, want %v", step, got, want)
		}
	}

	first, err := iss.Create(ctx, "subject-secret", nil, sessionissuer.Device{})
	if err != nil {
		t.Fatal(err)
	}
	expect("create", "create/ok")
	if _, err := iss.Create(ctx, "", nil, sessionissuer.Device{}); err == nil {
		t.Fatal("empty subject accepted")
	}
	expect("create refused", "create/rejected")

	if _, err := iss.Refresh(ctx, first.RefreshToken); err != nil {
		t.Fatal(err)
	}
	expect("refresh", "refresh/ok")
	if _, err := iss.Refresh(ctx, "garbage"); err == nil {
		t.Fatal("garbage refresh token accepted")
	}
	expect("refresh refused", "refresh/rejected")

	mu.Lock()
	now = now.Add(sessionissuer.DefaultRefreshGrace + time.Second)
	mu.Unlock()
	if _, err := iss.Refresh(ctx, first.RefreshToken); !errors.Is(err, sessionissuer.ErrTokenTheft) {
		t.Fatalf("reuse after grace: %v, want theft", err)
	}
	expect("theft", "theft/ok", "refresh/rejected")

	second, err := iss.Create(ctx, "subject-secret", map[string]any{"role": "x"}, sessionissuer.Device{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.UpdatePayload(ctx, second.Handle, map[string]any{"role": "y"}); err != nil {
		t.Fatal(err)
	}
	if err := iss.Revoke(ctx, second.Handle); err != nil {
		t.Fatal(err)
	}
	if err := iss.Revoke(ctx, "no-such-handle"); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Fatalf("Revoke unknown: %v", err)
	}
	if err := iss.RevokeAll(ctx, "subject-secret"); err != nil {
		t.Fatal(err)
	}
	expect("others", "create/ok", "update/ok", "revoke/ok", "revoke/rejected", "revoke/ok")

	// IssuerEvent has no field that could hold a token, subject or handle:
	// only Op, Result and Duration.
	if _, err := sessionissuer.New(sessionissuer.NewMemoryStore(), sessionissuer.WithIssuer("https://i"),
		sessionissuer.WithMasterKey(bytes.Repeat([]byte{7}, 32)), sessionissuer.WithObserver(nil)); err == nil {
		t.Fatal("WithObserver(nil) accepted")
	}
}
