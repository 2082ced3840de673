package conformance

import "strings"

// wireCases: requests written as raw bytes (a large but legitimate header
// block, odd bytes, field-name case, repeated fields), sent through a real
// listener so no client library normalises them first. Every case here and
// elsewhere also checks the response wire format of docs/semantics.md §5
// (see want.go).
func wireCases(f *fixture, add adder) {
	t, v := f.tok, f.v
	add(Case{Name: "wire/large-header-block", Method: "GET", Path: "/any/optional",
		Raw: "X-Padding: " + strings.Repeat("p", 40<<10) + "\r\nAuthorization: Bearer " + t.alice + "\r\n"}, f.ok("alice", "header"))
	add(Case{Name: "wire/oversize-token-is-not-ours", Method: "GET", Path: "/any/optional",
		Raw: "Authorization: Bearer " + t.big + "\r\n"}, f.ok("", ""))
	add(Case{Name: "wire/non-ascii-credentials", Method: "GET", Path: "/any/required",
		Raw: "Authorization: Bearer \xc3\xa9" + t.alice + "\r\n"}, fail(v, eNoToken))
	add(Case{Name: "wire/duplicate-authorization-raw", Method: "GET", Path: "/any/optional",
		Raw: "Authorization: Bearer " + t.alice + "\r\nAuthorization: Bearer " + t.alice + "\r\n"}, fail(v, eDup))
	add(Case{Name: "wire/lowercase-field-name", Method: "GET", Path: "/any/required",
		Raw: "authorization: Bearer " + t.alice + "\r\n"}, f.ok("alice", "header"))
	add(Case{Name: "wire/cookie-no-space", Method: "GET", Path: "/any/required",
		Raw: "Cookie: a=1;" + ck(t.bob) + "\r\n"}, f.ok("bob", "cookie"))
}
