package sessionguard_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestRendererAndLogs(t *testing.T) {
	k := sgtest.NewKey("ES256", "r")
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v, _ := sessionguard.New(sessionguard.WithKeySource(sessionguard.StaticJWKS(sgtest.JWKS(k))), sessionguard.WithLogger(log))
	custom := func(e *sessionguard.Error) sessionguard.Response {
		return sessionguard.Response{Status: 499, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(e.Code)}
	}
	g, _ := v.Required(sessionguard.WithRenderer(custom))
	expired := k.Mint(sgtest.Claims("i", "u", -time.Hour))
	_, err := g.Check(context.Background(), sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + expired}}})
	r := g.Render(err)
	if r.Status != 499 || string(r.Body) != "TRY_REFRESH_TOKEN" {
		t.Fatalf("custom renderer: %d %s", r.Status, r.Body)
	}
	if strings.Contains(logs.String(), expired) || strings.Contains(logs.String(), "eyJ") || !strings.Contains(logs.String(), "TRY_REFRESH_TOKEN") {
		t.Fatalf("log line: %s", logs.String())
	}
	bad, _ := v.Required(sessionguard.WithRenderer(func(*sessionguard.Error) sessionguard.Response { return sessionguard.Response{} }))
	if r := bad.Render(err); r.Status != 401 {
		t.Fatalf("invalid status not replaced: %d", r.Status)
	}
}

// TestRendererGetsACopy: a renderer that changes the error it is given
// changes nothing shared (the failure paths return preallocated errors).
func TestRendererGetsACopy(t *testing.T) {
	k := sgtest.NewKey("ES256", "a1")
	v := atkStatic(t, []*sgtest.Key{k})
	vandal := func(e *sessionguard.Error) sessionguard.Response {
		e.Code, e.Reason, e.TokenRejected = sessionguard.CodeInvalidClaims, nil, true
		if len(e.Claims) > 0 {
			e.Claims[0].ID = "changed"
		}
		return sessionguard.Response{Status: 418}
	}
	g, _ := v.Required(sessionguard.WithRenderer(vandal), sessionguard.WithClaims(sessionguard.Includes("roles", "admin")))
	for _, req := range []sessionguard.Request{sessionguard.MapRequest{}, atkBearer(k.Mint(atkClaims(atkIssA)))} {
		_, err := g.Check(context.Background(), req)
		before := err.Error()
		if r := g.Render(err); r.Status != 418 {
			t.Fatalf("renderer not used: %d", r.Status)
		}
		if err.Error() != before {
			t.Fatalf("the renderer changed the error: %q, was %q", err, before)
		}
		_, again := g.Check(context.Background(), req)
		if again.Error() != before {
			t.Fatalf("the renderer changed a shared error: %q, was %q", again, before)
		}
		if e, _ := err.(*sessionguard.Error); len(e.Claims) > 0 && e.Claims[0].ID != "roles" {
			t.Fatalf("claim failures changed: %v", e.Claims)
		}
	}
}
