package conformance

import (
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Builder builds an adapter's middleware (its Required when required is
// true, else its Optional) and returns only the construction error.
type Builder func(v *sessionguard.Verifier, required bool, opts ...sessionguard.RouteOption) error

// RunOptionOwnership checks the construction rules every adapter shares:
// own, one of the adapter's own options, is accepted by build and refused
// by the core's Required and Optional; another adapter's option, a nil
// option and a nil verifier are refused by build. A refused option is an
// error, never a hook that silently never fires.
func RunOptionOwnership(t *testing.T, own sessionguard.RouteOption, build Builder) {
	t.Helper()
	v, _ := Cases(t)
	other := sessionguard.NewAdapter("another-adapter")
	foreign := other.Own(sessionguard.WithSkip(func(sessionguard.Request) bool { return true }))
	for _, required := range []bool{true, false} {
		name := map[bool]string{true: "required", false: "optional"}[required]
		t.Run(name, func(t *testing.T) {
			if err := build(v, required, own); err != nil {
				t.Errorf("own option refused: %v", err)
			}
			if err := build(v, required, sessionguard.WithTransfer(sessionguard.TransferHeader), own); err != nil {
				t.Errorf("own option beside a core option refused: %v", err)
			}
			for what, err := range map[string]error{
				"another adapter's option": build(v, required, foreign),
				"a nil option":             build(v, required, nil),
				"a nil verifier":           build(nil, required),
			} {
				if err == nil {
					t.Errorf("%s accepted", what)
				}
			}
			coreBuild := v.Optional
			if required {
				coreBuild = v.Required
			}
			if g, err := coreBuild(own); err == nil || g != nil {
				t.Error("the core's guard builder accepted the adapter's option")
			}
		})
	}
}
