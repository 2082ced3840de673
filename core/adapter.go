package sessionguard

import (
	"errors"
	"fmt"
)

// Adapter is the identity of one framework adapter (sessionhttp,
// sessiongin, sessionecho, sessionfiber). It owns the adapter's own route
// options, so that an option made for one framework cannot be given to
// another and silently do nothing (a Gin skipper never sees an Echo
// request): such an option is an error when the guard is built.
//
// An adapter creates one Adapter with [NewAdapter], keeps it in an
// unexported variable, wraps its options with [Adapter.Own] and builds its
// guards with [Adapter.Required] and [Adapter.Optional]. Applications never
// need one.
type Adapter struct{ name string }

// NewAdapter returns a new adapter identity. name (the adapter's package
// name) is used in error messages only; two adapters with the same name are
// still distinct.
func NewAdapter(name string) *Adapter { return &Adapter{name: name} }

// String returns the adapter's name.
func (a *Adapter) String() string { return a.name }

// Own returns o as an option of a: [Adapter.Required] and
// [Adapter.Optional] of a accept it; [Verifier.Required],
// [Verifier.Optional] and every other adapter refuse it with an error. A
// nil o is an error too.
func (a *Adapter) Own(o RouteOption) RouteOption { return ownedOption{owner: a, o: o} }

// Required builds a guard that requires a session, for a's middleware. It
// accepts the core's route options and a's own; another adapter's options
// are an error.
func (a *Adapter) Required(v *Verifier, opts ...RouteOption) (*Guard, error) {
	return v.guard(a, true, opts)
}

// Optional is [Adapter.Required] for routes that work with or without a
// session (see [Verifier.Optional]).
func (a *Adapter) Optional(v *Verifier, opts ...RouteOption) (*Guard, error) {
	return v.guard(a, false, opts)
}

// Accepts reports whether a's middleware may serve g: a guard built by a,
// or by the core directly ([Verifier.Required], [Verifier.Optional]). A
// guard built by another adapter may carry that adapter's hooks, which
// would never fire here; adapters fail closed on it as on a nil guard.
func (a *Adapter) Accepts(g *Guard) bool {
	return g != nil && (g.owner == nil || g.owner == a)
}

// ownedOption is a route option that only its adapter's guards accept.
type ownedOption struct {
	owner *Adapter
	o     RouteOption
}

func (o ownedOption) applyRoute(r *routeConfig) error {
	switch {
	case o.owner == nil:
		return errors.New("route option of a nil Adapter")
	case r.owner == nil:
		return fmt.Errorf("an option of %s given to the core's Required or Optional: pass it to %s's Required or Optional", o.owner, o.owner)
	case r.owner != o.owner:
		return fmt.Errorf("an option of %s given to %s", o.owner, r.owner)
	case o.o == nil:
		return fmt.Errorf("nil route option of %s", o.owner)
	}
	return o.o.applyRoute(r)
}
