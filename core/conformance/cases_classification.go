package conformance

// classificationCases: what counts as our token (docs/semantics.md §2). A
// header or cookie that is not ours is treated as if it had not been sent:
// the cookie is used instead, a required route answers UNAUTHORISED, an
// optional one has no session.
func classificationCases(f *fixture, add adder) {
	t, v := f.tok, f.v
	for _, fh := range []struct{ name, value string }{
		{"basic", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
		{"token-scheme", "Token " + t.alice},
		{"dpop", "DPoP " + t.alice},
		{"opaque-bearer", "Bearer 2YotnFZFEjr1zCsicMWpAA"},
		{"other-issuer", "Bearer " + t.foreignIss},
		{"hs256-without-secret", "Bearer " + t.hs256},
		{"bearer-no-space", "Bearer" + t.alice},
		{"bearer-tab", "Bearer\t" + t.alice},
		{"bearer-empty", "Bearer "},
		{"oversize", "Bearer " + t.big},
		{"four-dots", "Bearer " + t.alice + ".x.y"},
	} {
		add(get("foreign/"+fh.name+"/cookie-used", "/any/required", Header{"Authorization", fh.value}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(get("foreign/"+fh.name+"/required", "/any/required", Header{"Authorization", fh.value}), fail(v, eNoToken))
		add(get("foreign/"+fh.name+"/optional", "/any/optional", Header{"Authorization", fh.value}), f.ok("", ""))
	}
	add(get("foreign/cookie-other-issuer/optional", "/any/optional", cookie(ck(t.foreignIss))), f.ok("", ""))
	add(get("foreign/cookie-garbage/required", "/cookie/required", cookie(ck("not-a-jwt"))), fail(v, eNoToken))

	// The cookie is read raw, the same on every adapter (net/http's parser
	// refuses these forms; a framework that trims or unquotes must not be
	// let in): they are not ours.
	for _, c := range []struct{ name, pair string }{
		{"spaces-around-equals", CookieName + " = " + t.bob},
		{"space-before-value", CookieName + "= " + t.bob},
		{"space-in-name", CookieName + " =" + t.bob},
		{"doubled-quotes", CookieName + `=""` + t.bob + `""`},
		{"unbalanced-quote", CookieName + `="` + t.bob},
	} {
		add(get("cookie-form/"+c.name+"/optional", "/cookie/optional", cookie(c.pair)), f.ok("", ""))
		add(get("cookie-form/"+c.name+"/required", "/cookie/required", cookie(c.pair)), fail(v, eNoToken))
	}

	// The Bearer scheme is matched case-insensitively, one or more spaces.
	add(get("bearer/lowercase", "/any/required", Header{"Authorization", "bearer " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/uppercase", "/any/required", Header{"Authorization", "BEARER " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/many-spaces", "/any/required", Header{"Authorization", "Bearer    " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/rsa-key", "/any/required", bearer(t.rsa)), f.ok("dave", "header"))
}
