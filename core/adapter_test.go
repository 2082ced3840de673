package sessionguard_test

import (
	"context"
	"strings"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestAdapterOwnsItsOptions: an adapter's option is accepted by that
// adapter's guards only; given to another adapter or to the core directly
// it is an error at construction, never a hook that silently never fires.
func TestAdapterOwnsItsOptions(t *testing.T) {
	k := sgtest.NewKey("ES256", "a1")
	v := atkStatic(t, []*sgtest.Key{k})
	gin, echo := sessionguard.NewAdapter("sessiongin"), sessionguard.NewAdapter("sessionecho")
	skipAll := gin.Own(sessionguard.WithSkip(func(sessionguard.Request) bool { return true }))

	g, err := gin.Required(v, skipAll)
	if err != nil {
		t.Fatalf("own option refused: %v", err)
	}
	if !g.Skip(sessionguard.MapRequest{}) {
		t.Fatal("own skip hook not installed")
	}
	if _, err := gin.Optional(v, sessionguard.WithTransfer(sessionguard.TransferHeader), skipAll); err != nil {
		t.Fatalf("core option beside an own option: %v", err)
	}
	for name, build := range map[string]func() (*sessionguard.Guard, error){
		"another adapter":   func() (*sessionguard.Guard, error) { return echo.Required(v, skipAll) },
		"core Required":     func() (*sessionguard.Guard, error) { return v.Required(skipAll) },
		"core Optional":     func() (*sessionguard.Guard, error) { return v.Optional(skipAll) },
		"nil owned option":  func() (*sessionguard.Guard, error) { return gin.Required(v, gin.Own(nil)) },
		"nil option":        func() (*sessionguard.Guard, error) { return gin.Required(v, nil) },
		"nil verifier":      func() (*sessionguard.Guard, error) { return gin.Required(nil) },
		"nil skip function": func() (*sessionguard.Guard, error) { return gin.Required(v, gin.Own(sessionguard.WithSkip(nil))) },
	} {
		t.Run(name, func(t *testing.T) {
			g, err := build()
			if err == nil || g != nil {
				t.Fatalf("accepted: %v", g)
			}
			if !strings.HasPrefix(err.Error(), "sessionguard: ") {
				t.Errorf("error without package prefix: %v", err)
			}
		})
	}

	core, _ := v.Required()
	byEcho, _ := echo.Required(v)
	switch {
	case !gin.Accepts(g), !gin.Accepts(core):
		t.Error("gin refuses its own or a core guard")
	case gin.Accepts(byEcho):
		t.Error("gin accepts a guard built by echo")
	case gin.Accepts(nil):
		t.Error("gin accepts a nil guard")
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

func TestCodeOf(t *testing.T) {
	k := sgtest.NewKey("ES256", "a1")
	v := atkStatic(t, []*sgtest.Key{k})
	g, _ := v.Required()
	_, err := g.Check(context.Background(), sessionguard.MapRequest{})
	if c, ok := sessionguard.CodeOf(err); !ok || c != sessionguard.CodeUnauthorised {
		t.Fatalf("CodeOf = %q, %v", c, ok)
	}
	if c, ok := sessionguard.CodeOf(wrapped{err}); !ok || c != sessionguard.CodeUnauthorised {
		t.Fatalf("CodeOf(wrapped) = %q, %v", c, ok)
	}
	if c, ok := sessionguard.CodeOf(context.Canceled); ok || c != "" {
		t.Fatalf("CodeOf(other) = %q, %v", c, ok)
	}
	if _, ok := sessionguard.CodeOf(nil); ok {
		t.Fatal("CodeOf(nil) reported a code")
	}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }
