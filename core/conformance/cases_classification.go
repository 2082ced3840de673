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

	// The Bearer scheme is matched case-insensitively, one or more spaces.
	add(get("bearer/lowercase", "/any/required", Header{"Authorization", "bearer " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/uppercase", "/any/required", Header{"Authorization", "BEARER " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/many-spaces", "/any/required", Header{"Authorization", "Bearer    " + t.alice}), f.ok("alice", "header"))
	add(get("bearer/rsa-key", "/any/required", bearer(t.rsa)), f.ok("dave", "header"))
}
