package sessionguard_test

import (
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

func (w wrapped) Error() string { return "wrapped: " + w.err.Error() }

func (w wrapped) Unwrap() error { return w.err }
