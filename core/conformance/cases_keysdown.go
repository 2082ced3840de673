package conformance

// downCases run against [fixture.down], a verifier whose key set never loads:
// row 9 of docs/semantics.md §4 arises only when a token must be verified;
// rows 6, 7 and 8 need no keys and answer as usual.
func (f *fixture) downCases() []Case {
	v := f.down
	t := f.tok
	return []Case{
		{Name: "row9/header", Method: "GET", Path: "/any/required", Header: hdrs(bearer(t.alice)), Want: fail(v, eKeys)},
		{Name: "row9/optional-expired", Method: "GET", Path: "/any/optional", Header: hdrs(bearer(t.expired)), Want: fail(v, eKeys)},
		{Name: "row9/cookie", Method: "GET", Path: "/cookie/optional", Header: hdrs(cookie(ck(t.bob))), Want: fail(v, eKeys)},
		{Name: "row7/required-needs-no-keys", Method: "GET", Path: "/any/required", Want: fail(v, eNoToken)},
		{Name: "row7/optional-needs-no-keys", Method: "GET", Path: "/any/optional", Want: f.ok("", "")},
		{Name: "row6/marker-needs-no-keys", Method: "GET", Path: "/any/optional", Header: hdrs(cookie(MarkerName + "=1")), Want: fail(v, eMarker)},
		{Name: "row8/before-keys", Method: "POST", Path: "/any/required", Header: hdrs(Header{"Sec-Fetch-Site", "cross-site"}, cookie(ck(t.bob))), Want: fail(v, eCross)},
	}
}
