// Package conformance is the one behaviour suite every sessionguard adapter
// runs. It holds the route table of the conformance server, the success body
// format, and [Run], which drives a table of requests (every row of
// docs/semantics.md §4, every row of its header-then-cookie decision table
// with a valid and an expired token, foreign headers, refresh marker, claims,
// cross-origin protection, duplicate headers and cookies, OPTIONS, and the
// exact wire format of §5) through a real HTTP listener served by the
// adapter under test. The table is split by section, one cases_*.go file
// each (see cases.go); a new rule goes into the file of its section.
//
// An adapter's test supplies a [Factory] that mounts [Routes] on its
// framework and starts a server; a case that passes on one adapter and fails
// on another is a bug by definition.
package conformance

import (
	"encoding/json"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Route is one route of the conformance server (conformance-server.md).
type Route struct {
	// Path is the URL path.
	Path string
	// Verify is false for /healthz, which is served without verification.
	Verify bool
	// Required picks [sessionguard.Verifier.Required] or Optional.
	Required bool
	// Options are the route options (transfer method, claim validators).
	Options []sessionguard.RouteOption
}

// Guard builds the route's guard from v: Required or Optional with the
// route's options.
func (r Route) Guard(v *sessionguard.Verifier) (*sessionguard.Guard, error) {
	if r.Required {
		return v.Required(r.Options...)
	}
	return v.Optional(r.Options...)
}

// AdminRole is the role /admin requires in the "roles" claim.
const AdminRole = "admin"

// HealthBody is the body of /healthz.
const HealthBody = "ok"

// Routes returns the route table. Every route accepts GET, POST and OPTIONS.
func Routes() []Route {
	anyT := sessionguard.WithTransfer(sessionguard.TransferAny)
	hdr := sessionguard.WithTransfer(sessionguard.TransferHeader)
	ck := sessionguard.WithTransfer(sessionguard.TransferCookie)
	return []Route{
		{Path: "/any/required", Verify: true, Required: true, Options: []sessionguard.RouteOption{anyT}},
		{Path: "/any/optional", Verify: true, Options: []sessionguard.RouteOption{anyT}},
		{Path: "/header/required", Verify: true, Required: true, Options: []sessionguard.RouteOption{hdr}},
		{Path: "/header/optional", Verify: true, Options: []sessionguard.RouteOption{hdr}},
		{Path: "/cookie/required", Verify: true, Required: true, Options: []sessionguard.RouteOption{ck}},
		{Path: "/cookie/optional", Verify: true, Options: []sessionguard.RouteOption{ck}},
		{Path: "/admin", Verify: true, Required: true, Options: []sessionguard.RouteOption{
			anyT, sessionguard.WithClaims(sessionguard.Includes("roles", AdminRole)),
		}},
		{Path: "/healthz"},
	}
}

// Methods are the methods every route accepts.
var Methods = []string{"GET", "POST", "OPTIONS"}

// SuccessBody is the 200 body of a verified route:
// {"session":{"sub":"<sub>","source":"header"|"cookie"}} or {"session":null}.
func SuccessBody(s *sessionguard.Session) []byte {
	if s == nil {
		return []byte(`{"session":null}`)
	}
	sub, _ := json.Marshal(s.Subject()) // a JSON string, escaped as encoding/json does
	b := make([]byte, 0, len(sub)+48)
	b = append(b, `{"session":{"sub":`...)
	b = append(b, sub...)
	b = append(b, `,"source":"`...)
	b = append(b, s.Source().String()...)
	return append(b, `"}}`...)
}

// MismatchBody is what a conformance handler answers (with status 500) when
// the framework's own accessor and [sessionguard.FromContext] disagree; the
// suite fails on it.
const MismatchBody = "accessor mismatch"

// Same reports whether the session read through the framework's idiom and
// the one read from the request context are the same session.
func Same(fromFramework, fromContext *sessionguard.Session) bool {
	if fromFramework == nil || fromContext == nil {
		return fromFramework == nil && fromContext == nil
	}
	return fromFramework.Token() == fromContext.Token() && fromFramework.Subject() == fromContext.Subject()
}
