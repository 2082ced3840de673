package conformance

// routingCases: what reaches verification at all (docs/semantics.md §3.1).
// OPTIONS passes through with no session whatever it carries, the health
// check verifies nothing, and every route accepts POST.
func routingCases(f *fixture, add adder) {
	t := f.tok
	for _, p := range []string{"/any/required", "/cookie/required", "/header/required", "/admin"} {
		add(Case{Name: "options" + p + "/expired", Method: "OPTIONS", Path: p, Header: hdrs(bearer(t.expired))}, f.ok("", ""))
		add(Case{Name: "options" + p + "/duplicate-authorization", Method: "OPTIONS", Path: p, Header: hdrs(bearer(t.alice), bearer(t.bob))}, f.ok("", ""))
	}
	add(get("healthz/with-expired", "/healthz", bearer(t.expired)), Want{Status: 200, Body: []byte(HealthBody)})
	add(Case{Name: "methods/post-header", Method: "POST", Path: "/header/required", Header: hdrs(bearer(t.alice))}, f.ok("alice", "header"))
}
