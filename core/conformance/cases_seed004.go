package conformance

// seed004Cases is the decision table "session verification checks headers
// then cookies" (docs/semantics.md §4, the special case of rows 1, 2 and 7):
// each row with a valid and again with an expired token, on every transfer
// method (any, header, cookie), on required and optional routes.
func seed004Cases(f *fixture, add adder) {
	t, v := f.tok, f.v
	for _, tm := range []string{"any", "header", "cookie"} {
		for _, req := range []string{"required", "optional"} {
			path := "/" + tm + "/" + req
			none := f.ok("", "")
			if req == "required" {
				none = fail(v, eNoToken)
			}
			// Neither header nor cookie.
			add(get("seed004/"+tm+"/"+req+"/none-none", path), none)
			for _, tok := range []struct{ name, a, b string }{{"valid", t.alice, t.bob}, {"expired", t.expired, t.expiredBob}} {
				res := func(sub, src string) Want {
					if tok.name == "expired" {
						return fail(v, eExpired)
					}
					return f.ok(sub, src)
				}
				pre := "seed004/" + tm + "/" + req + "/" + tok.name
				// Header only.
				if tm == "cookie" {
					add(get(pre+"/header-only", path, bearer(tok.a)), none)
				} else {
					add(get(pre+"/header-only", path, bearer(tok.a)), res("alice", "header"))
				}
				// Cookie only.
				if tm == "header" {
					add(get(pre+"/cookie-only", path, cookie(ck(tok.b))), none)
				} else {
					add(get(pre+"/cookie-only", path, cookie(ck(tok.b))), res("bob", "cookie"))
				}
				// Both: the header decides for any/header, the cookie for cookie.
				if tm == "cookie" {
					add(get(pre+"/both", path, bearer(tok.a), cookie(ck(tok.b))), res("bob", "cookie"))
				} else {
					add(get(pre+"/both", path, bearer(tok.a), cookie(ck(tok.b))), res("alice", "header"))
				}
			}
		}
	}
}
