package sessionguard_test

import (
	"context"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

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
