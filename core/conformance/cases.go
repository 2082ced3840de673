package conformance

import "strings"

// The case table is split by the section of docs/semantics.md it tests, one
// file per section (cases_<section>.go). A new rule goes into the file of the
// outcome it pins down; a new section gets its own file and a line in
// [sections]. Expected responses are built with the helpers of want.go, so
// every section checks the wire format of docs/semantics.md §5 too.

// adder appends one case with its expected response.
type adder func(c Case, w Want)

// sections lists the case table in run order.
var sections = []func(f *fixture, add adder){
	seed004Cases,        // cases_seed004.go: the header-then-cookie decision table (§4)
	selectionCases,      // cases_selection.go: no fallback after selection (§3)
	classificationCases, // cases_classification.go: what counts as our token (§2)
	outcomeCases,        // cases_outcomes.go: rows 2–7 of the outcome table (§4)
	crossOriginCases,    // cases_crossorigin.go: row 8, cookie tokens and unsafe methods (§6)
	duplicateCases,      // cases_duplicates.go: row 10, repeated cookies (§2, §4)
	routingCases,        // cases_routing.go: OPTIONS, the health check, POST (§3)
	wireCases,           // cases_wire.go: requests as bytes on the wire
}

// cases is the table for the main verifier, [fixture.v].
func (f *fixture) cases() []Case {
	var cs []Case
	add := func(c Case, w Want) {
		c.Want = w
		cs = append(cs, c)
	}
	for _, section := range sections {
		section(f, add)
	}
	return cs
}

// Request builders shared by the sections.

func bearer(tok string) Header      { return Header{"Authorization", "Bearer " + tok} }
func cookie(pairs ...string) Header { return Header{"Cookie", strings.Join(pairs, "; ")} }
func ck(tok string) string          { return CookieName + "=" + tok }
func hdrs(h ...Header) []Header     { return h }
func get(name, path string, h ...Header) Case {
	return Case{Name: name, Method: "GET", Path: path, Header: h}
}
func post(name, path string, h ...Header) Case {
	return Case{Name: name, Method: "POST", Path: path, Header: h}
}
