package conformance

// selectionCases: once a token is selected its result is final
// (docs/semantics.md §3.5). An expired or forged header token never falls
// back to a valid cookie, on every route that reads the header.
func selectionCases(f *fixture, add adder) {
	t, v := f.tok, f.v
	for _, tm := range []string{"any", "header"} {
		for _, req := range []string{"required", "optional"} {
			path := "/" + tm + "/" + req
			add(get("selection/"+tm+"/"+req+"/expired-header-valid-cookie", path, bearer(t.expired), cookie(ck(t.bob))), fail(v, eExpired))
			add(get("selection/"+tm+"/"+req+"/bad-signature-header-valid-cookie", path, bearer(t.badSig), cookie(ck(t.bob))), fail(v, eInvalid))
		}
	}
}
