package conformance

// crossOriginCases: row 8 of the outcome table and docs/semantics.md §6. A
// cookie token on an unsafe method must pass the cross-origin check, before
// any verification work (an expired cookie is still refused with 403);
// header tokens and safe methods are never subject to it.
func crossOriginCases(f *fixture, add adder) {
	t, v := f.tok, f.v
	cross := Header{"Sec-Fetch-Site", "cross-site"}
	sameSite := Header{"Sec-Fetch-Site", "same-site"}
	evil := Header{"Origin", "https://evil.conformance.test"}
	for _, req := range []string{"required", "optional"} {
		p := "/any/" + req
		add(post("row8/"+req+"/cross-site-cookie", p, cross, cookie(ck(t.bob))), fail(v, eCross))
		add(post("row8/"+req+"/same-site-cookie", p, sameSite, cookie(ck(t.bob))), fail(v, eCross))
		add(post("row8/"+req+"/cross-site-expired-cookie", p, cross, cookie(ck(t.expiredBob))), fail(v, eCross))
		add(post("row8/"+req+"/origin-mismatch-cookie", p, evil, cookie(ck(t.bob))), fail(v, eCross))
		add(post("row8/"+req+"/cross-site-bearer", p, cross, evil, bearer(t.alice)), f.ok("alice", "header"))
		add(post("row8/"+req+"/same-origin-cookie", p, Header{"Sec-Fetch-Site", "same-origin"}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(post("row8/"+req+"/fetch-site-none-cookie", p, Header{"Sec-Fetch-Site", "none"}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(post("row8/"+req+"/no-browser-headers-cookie", p, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(post("row8/"+req+"/trusted-origin-cookie", p, cross, Header{"Origin", TrustedOrigin}, cookie(ck(t.bob))), f.ok("bob", "cookie"))
		add(Case{Name: "row8/" + req + "/cross-site-get-cookie", Method: "GET", Path: p, Header: hdrs(cross, cookie(ck(t.bob)))}, f.ok("bob", "cookie"))
		add(Case{Name: "row8/" + req + "/cross-site-foreign-cookie", Method: "POST", Path: p, Header: hdrs(cross, cookie(ck(t.foreignIss)))},
			map[bool]Want{true: fail(v, eNoToken), false: f.ok("", "")}[req == "required"])
	}
	add(post("row8/cookie-route-cross-site", "/cookie/required", cross, cookie(ck(t.bob))), fail(v, eCross))
}
