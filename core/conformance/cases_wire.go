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

	// Field names are case-insensitive on every adapter, whatever the
	// framework's normalisation (Fiber's DisableHeaderNormalizing keeps them
	// as sent): a lower-case browser header still guards the cookie, and two
	// Authorization fields spelled differently are still two.
	add(Case{Name: "wire/lowercase-sec-fetch-site", Method: "POST", Path: "/any/required",
		Raw: "sec-fetch-site: cross-site\r\nCookie: " + ck(t.bob) + "\r\n"}, fail(v, eCross))
	add(Case{Name: "wire/lowercase-origin", Method: "POST", Path: "/any/required",
		Raw: "origin: https://evil.conformance.test\r\nCookie: " + ck(t.bob) + "\r\n"}, fail(v, eCross))
	add(Case{Name: "wire/uppercase-sec-fetch-site", Method: "POST", Path: "/any/optional",
		Raw: "SEC-FETCH-SITE: cross-site\r\nCookie: " + ck(t.bob) + "\r\n"}, fail(v, eCross))
	add(Case{Name: "wire/authorization-twice-in-two-cases", Method: "GET", Path: "/any/optional",
		Raw: "Authorization: Bearer " + t.alice + "\r\nauthorization: Bearer " + t.alice + "\r\n"}, fail(v, eDup))
	add(Case{Name: "wire/lowercase-cookie-field", Method: "GET", Path: "/cookie/required",
		Raw: "cookie: " + ck(t.bob) + "\r\n"}, f.ok("bob", "cookie"))
}
