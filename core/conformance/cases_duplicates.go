package conformance

import "strings"

// duplicateCases: repeated credentials. Two Authorization fields are refused
// whatever the transfer method (row 10 of docs/semantics.md §4); a repeated
// access-token cookie is tried in order, at most four, the first that
// verifies wins, else the first of ours decides (§2).
func duplicateCases(f *fixture, add adder) {
	authorizationRows(f, add)
	cookieRows(f, add)
}

func authorizationRows(f *fixture, add adder) {
	t, v := f.tok, f.v
	for _, p := range []string{"/any/optional", "/any/required", "/header/optional", "/cookie/optional", "/cookie/required"} {
		add(get("row10"+p+"/two-valid", p, bearer(t.alice), bearer(t.bob)), fail(v, eDup))
		add(get("row10"+p+"/valid-and-basic", p, bearer(t.alice), Header{"Authorization", "Basic eDp5"}, cookie(ck(t.bob))), fail(v, eDup))
		add(get("row10"+p+"/two-empty", p, Header{"Authorization", "x"}, Header{"Authorization", "y"}), fail(v, eDup))
	}
}

func cookieRows(f *fixture, add adder) {
	t, v := f.tok, f.v
	add(get("cookies/garbage-then-valid", "/any/required", cookie(ck("garbage"), ck(t.bob))), f.ok("bob", "cookie"))
	add(get("cookies/expired-then-valid", "/any/required", cookie(ck(t.expired), ck(t.bob))), f.ok("bob", "cookie"))
	add(get("cookies/valid-then-expired", "/any/required", cookie(ck(t.alice), ck(t.expiredBob))), f.ok("alice", "cookie"))
	add(get("cookies/expired-then-bad-signature", "/any/required", cookie(ck(t.expired), ck(t.badSig))), fail(v, eExpired))
	add(get("cookies/bad-signature-then-expired", "/any/required", cookie(ck(t.badSig), ck(t.expired))), fail(v, eInvalid))
	add(get("cookies/foreign-then-expired", "/any/optional", cookie(ck(t.foreignIss), ck(t.expired))), fail(v, eExpired))
	add(get("cookies/valid-fifth-not-considered", "/any/required",
		cookie(ck(t.expired), ck("a"), ck("b"), ck("c"), ck(t.bob))), fail(v, eExpired))
	add(get("cookies/two-cookie-fields", "/any/required", cookie(ck(t.expired)), cookie(ck(t.bob))), f.ok("bob", "cookie"))
	add(get("cookies/quoted", "/any/required", cookie(CookieName+`="`+t.bob+`"`)), f.ok("bob", "cookie"))
	add(get("cookies/url-escaped-not-unescaped", "/any/optional", cookie(ck(strings.ReplaceAll(t.bob, ".", "%2E")))), f.ok("", ""))
	add(get("cookies/other-name-ignored", "/any/optional", cookie("session="+t.bob)), f.ok("", ""))
}
