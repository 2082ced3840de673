package conformance

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// refreshOK refreshes tok through the header mount and returns the new
// session, failing the test unless it answered 200.
func (l *lc) refreshOK(name, tok string) issued {
	l.t.Helper()
	x := l.do(name, req{method: "POST", path: "/header/auth/refresh", header: []Header{bearer(tok)}})
	if x.status != 200 {
		l.t.Fatalf("%s: refresh answered %d %s", name, x.status, x.body)
	}
	return l.sessionOf(name, x, false)
}

// testRotation: rotation, grace (lifecycle §3 rows 1–2) and theft (row 3).
func (l *lc) testRotation() {
	s0 := l.login("rotation/login", "/login", "thief-victim", true)
	s1 := l.refreshOK("rotation/first", s0.refresh)
	if s1.refresh == s0.refresh || s1.sid != s0.sid || s1.access == s0.access {
		l.t.Errorf("rotation: no new refresh token, or another session")
	}
	// Within the grace window the answered token is honoured again (a lost
	// answer, concurrent tabs).
	s1b := l.refreshOK("rotation/retry-within-grace", s0.refresh)
	if s1b.sid != s0.sid {
		l.t.Errorf("rotation: retry answered another session")
	}
	s2 := l.refreshOK("rotation/promote-child", s1.refresh)
	time.Sleep(lcGrace + 300*time.Millisecond)
	x := l.do("rotation/theft", req{method: "POST", path: "/header/auth/refresh", header: []Header{bearer(s0.refresh)}})
	l.errorBody("rotation/theft", x, 401, "TOKEN_THEFT_DETECTED", wwwInvalid)
	l.wantHeaderTokens("rotation/theft", x, true, "", "")
	l.wantSetCookie("rotation/theft", x, nil)
	x = l.do("rotation/after-theft", req{method: "POST", path: "/header/auth/refresh", header: []Header{bearer(s2.refresh)}})
	l.errorBody("rotation/after-theft", x, 401, "UNAUTHORISED", wwwInvalid)

	x = l.do("rotation/thefts", req{method: "GET", path: "/test/thefts"})
	l.status("rotation/thefts", x, 200)
	var th struct {
		Thefts []struct{ SID, Sub string } `json:"thefts"`
	}
	_ = json.Unmarshal(x.body, &th)
	found := false
	for _, e := range th.Thefts {
		found = found || (e.SID == s0.sid && e.Sub == "thief-victim")
	}
	if !found {
		l.t.Errorf("rotation: the theft hook did not see the theft: %s", x.body)
	}
}

// testLogout: access token first, else refresh token; always clears; 204.
func (l *lc) testLogout() {
	want204 := func(name string, x exchange, base string) {
		l.t.Helper()
		l.status(name, x, 204)
		l.noStore(name, x)
		l.wantSetCookie(name, x, clearLines(base))
		l.wantHeaderTokens(name, x, true, "", "")
		if len(x.body) != 0 {
			l.t.Errorf("%s: body %q", name, x.body)
		}
	}
	a := l.login("logout/login-access", "/login", "leaver", true)
	x := l.do("logout/access-header", req{method: "POST", path: "/auth/logout", header: []Header{bearer(a.access)}})
	want204("logout/access-header", x, "/auth")
	l.refreshGone("logout/access-header/revoked", a.refresh)

	c := l.login("logout/login-cookie", "/login", "leaver", false)
	x = l.do("logout/access-cookie", req{method: "POST", path: "/auth/logout", header: []Header{cookies(CookieName+"="+c.access, "refresh_token="+c.refresh)}})
	want204("logout/access-cookie", x, "/auth")
	l.refreshGone("logout/access-cookie/revoked", c.refresh)

	r := l.login("logout/login-refresh", "/login", "leaver", true)
	x = l.do("logout/refresh-header", req{method: "POST", path: "/auth/logout", header: []Header{bearer(r.refresh)}})
	want204("logout/refresh-header", x, "/auth")
	l.refreshGone("logout/refresh-header/revoked", r.refresh)

	k := l.login("logout/login-cookie-mount", "/cookie/login", "leaver", false)
	x = l.do("logout/cookie-mount/refresh-cookie", req{method: "POST", path: "/cookie/auth/logout", header: []Header{cookies("refresh_token=" + k.refresh)}})
	want204("logout/cookie-mount/refresh-cookie", x, "/cookie/auth")
	l.refreshGone("logout/cookie-mount/revoked", k.refresh)

	// A made-up refresh token under a real handle logs nobody out.
	m := l.login("logout/login-made-up", "/login", "leaver", true)
	x = l.do("logout/made-up", req{method: "POST", path: "/auth/logout", header: []Header{bearer(madeUp(m.refresh))}})
	want204("logout/made-up", x, "/auth")
	l.refreshOK("logout/made-up/unharmed", m.refresh)

	x = l.do("logout/nothing", req{method: "POST", path: "/auth/logout"})
	want204("logout/nothing", x, "/auth")

	x = l.do("logout/cross-site-cookie", req{method: "POST", path: "/auth/logout",
		header: []Header{{"Sec-Fetch-Site", "cross-site"}, cookies("refresh_token=" + m.refresh)}})
	l.errorBody("logout/cross-site-cookie", x, 403, "CROSS_ORIGIN_REQUEST", "")
	l.noTokens("logout/cross-site-cookie", x)

	x = l.do("logout/two-authorization", req{method: "POST", path: "/auth/logout", header: []Header{bearer(m.access), bearer(m.access)}})
	l.errorBody("logout/two-authorization", x, 400, "INVALID_REQUEST", wwwRequest)
	l.noTokens("logout/two-authorization", x)
}

// refreshGone checks that tok no longer refreshes (its session was revoked).
func (l *lc) refreshGone(name, tok string) {
	l.t.Helper()
	x := l.do(name, req{method: "POST", path: "/header/auth/refresh", header: []Header{bearer(tok)}})
	l.errorBody(name, x, 401, "UNAUTHORISED", wwwInvalid)
}

type listed struct {
	SID                               string
	CreatedAt, RefreshedAt, ExpiresAt int64
	UserAgent, IP, Label              string
	Current                           bool
}

func (l *lc) list(name, access string) []listed {
	l.t.Helper()
	x := l.do(name, req{method: "GET", path: "/auth/sessions", header: []Header{bearer(access)}})
	l.status(name, x, 200)
	var out struct {
		Sessions []struct {
			SID         string `json:"sid"`
			CreatedAt   int64  `json:"created_at"`
			RefreshedAt int64  `json:"refreshed_at"`
			ExpiresAt   int64  `json:"expires_at"`
			UserAgent   string `json:"user_agent"`
			IP          string `json:"ip"`
			Label       string `json:"label"`
			Current     bool   `json:"current"`
		} `json:"sessions"`
	}
	dec := json.NewDecoder(strings.NewReader(string(x.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		l.t.Fatalf("%s: body %s: %v", name, x.body, err)
	}
	var res []listed
	for _, s := range out.Sessions {
		res = append(res, listed(s))
	}
	return res
}

// testOwnSessions: list (newest first, current flag, device), revoke own,
// another user's or unknown sid → 404, bad bodies → 400, no session → 401.
func (l *lc) testOwnSessions() {
	first := l.do("sessions/login-first", req{method: "POST", path: "/login", header: []Header{{"Session-Transfer", "header"}},
		body: `{"sub":"lister","label":"laptop"}`})
	a := l.sessionOf("sessions/login-first", first, false)
	time.Sleep(1100 * time.Millisecond) // distinct created_at seconds: newest first is observable
	b := l.login("sessions/login-second", "/login", "lister", true)
	bob := l.login("sessions/login-bob", "/login", "bob-lister", true)

	got := l.list("sessions/list", b.access)
	if len(got) != 2 || got[0].SID != b.sid || got[1].SID != a.sid {
		l.t.Fatalf("sessions/list: %+v, want %s then %s", got, b.sid, a.sid)
	}
	if !got[0].Current || got[1].Current {
		l.t.Errorf("sessions/list: current flags %v %v", got[0].Current, got[1].Current)
	}
	if got[1].Label != "laptop" || got[0].UserAgent != lcUserAgent || got[0].IP != "127.0.0.1" {
		l.t.Errorf("sessions/list: device %+v", got)
	}
	if got[0].CreatedAt < got[1].CreatedAt || got[0].ExpiresAt <= got[0].CreatedAt || got[0].RefreshedAt < got[0].CreatedAt {
		l.t.Errorf("sessions/list: times %+v", got)
	}

	notFound := func(name, body string) {
		x := l.do(name, req{method: "POST", path: "/auth/sessions/revoke", header: []Header{bearer(b.access)}, body: body})
		l.errorBody(name, x, 404, "NOT_FOUND", "")
		l.noTokens(name, x)
	}
	notFound("sessions/revoke/another-users", `{"sid":"`+bob.sid+`"}`)
	notFound("sessions/revoke/unknown", `{"sid":"AAAAAAAAAAAAAAAAAAAAAA"}`)
	l.refreshOK("sessions/revoke/bob-unharmed", bob.refresh)

	for i, body := range []string{``, `{}`, `{"sid":""}`, `{"sid":1}`, `["x"]`, `{"sid":"x","more":1}`, `{"sid":"x"} {}`, `nope`} {
		name := "sessions/revoke/bad-body/" + strconv.Itoa(i)
		x := l.do(name, req{method: "POST", path: "/auth/sessions/revoke", header: []Header{bearer(b.access)}, body: body})
		l.errorBody(name, x, 400, "INVALID_REQUEST", wwwRequest)
	}

	x := l.do("sessions/revoke/own", req{method: "POST", path: "/auth/sessions/revoke", header: []Header{bearer(b.access)}, body: `{"sid":"` + a.sid + `"}`})
	l.status("sessions/revoke/own", x, 204)
	l.refreshGone("sessions/revoke/own/gone", a.refresh)
	if got := l.list("sessions/list-after", b.access); len(got) != 1 || got[0].SID != b.sid {
		l.t.Errorf("sessions/list-after: %+v", got)
	}
	notFound("sessions/revoke/already-revoked", `{"sid":"`+a.sid+`"}`)

	x = l.do("sessions/no-session", req{method: "GET", path: "/auth/sessions"})
	l.errorBody("sessions/no-session", x, 401, "UNAUTHORISED", wwwBare)
	x = l.do("sessions/revoke/no-session", req{method: "POST", path: "/auth/sessions/revoke", body: `{"sid":"` + b.sid + `"}`})
	l.errorBody("sessions/revoke/no-session", x, 401, "UNAUTHORISED", wwwBare)
}

// testPayload: write-back through the request's transfer method; other
// sessions untouched; later refreshes carry the payload.
func (l *lc) testPayload() {
	h := l.login("payload/login-header", "/login", "payloader", true)
	other := l.login("payload/login-other", "/login", "payloader", true)
	x := l.do("payload/header", req{method: "POST", path: "/payload", header: []Header{bearer(h.access)}, body: `{"theme":"dark"}`})
	l.status("payload/header", x, 200)
	l.noStore("payload/header", x)
	l.wantSetCookie("payload/header", x, nil)
	if _, ok := x.header["Refresh-Token"]; ok {
		l.t.Errorf("payload/header: Refresh-Token present")
	}
	if x.header.Get("Access-Control-Expose-Headers") == "" {
		l.t.Errorf("payload/header: no expose list")
	}
	tok := x.header.Get("Access-Token")
	l.claimIs("payload/header", tok, "theme", `"dark"`)

	c := l.login("payload/login-cookie", "/login", "payloader", false)
	x = l.do("payload/cookie", req{method: "POST", path: "/payload", header: []Header{cookies(CookieName + "=" + c.access)}, body: `{"theme":"light"}`})
	l.status("payload/cookie", x, 200)
	l.noStore("payload/cookie", x)
	l.wantHeaderTokens("payload/cookie", x, false, "", "")
	sc := x.header.Values("Set-Cookie")
	if len(sc) != 1 || !strings.HasPrefix(sc[0], CookieName+"=") ||
		!strings.HasSuffix(sc[0], "; Path=/; Max-Age="+strconv.Itoa(int(lcAccessTTL.Seconds()))+"; HttpOnly; Secure; SameSite=Lax") {
		l.t.Fatalf("payload/cookie: Set-Cookie %q", sc)
	}
	l.claimIs("payload/cookie", cookieValue(sc[0]), "theme", `"light"`)

	r := l.refreshOK("payload/refresh-carries", h.refresh)
	l.claimIs("payload/refresh-carries", r.access, "theme", `"dark"`)
	o := l.refreshOK("payload/other-untouched", other.refresh)
	l.claimIs("payload/other-untouched", o.access, "theme", "")

	for _, c := range []struct{ name, body string }{
		{"payload/reserved", `{"exp":1}`}, {"payload/not-object", `[1]`}, {"payload/too-large", `{"x":"` + strings.Repeat("y", 3000) + `"}`},
	} {
		x := l.do(c.name, req{method: "POST", path: "/payload", header: []Header{bearer(r.access)}, body: c.body})
		l.errorBody(c.name, x, 400, "INVALID_REQUEST", wwwRequest)
		l.noTokens(c.name, x)
	}
	x = l.do("payload/no-session", req{method: "POST", path: "/payload", body: `{"a":1}`})
	l.errorBody("payload/no-session", x, 401, "UNAUTHORISED", wwwBare)
}

// claimIs checks claim name of an issued token ("" = absent).
func (l *lc) claimIs(name, tok, claim, want string) {
	l.t.Helper()
	s, err := l.verify(tok)
	if err != nil {
		l.t.Errorf("%s: token does not verify: %v", name, err)
		return
	}
	got, _ := s.Claim(claim)
	if string(got) != want {
		l.t.Errorf("%s: claim %s = %s, want %s", name, claim, got, want)
	}
}

// testJWKS: the key set, its content type and max-age.
func (l *lc) testJWKS() {
	x := l.do("jwks/get", req{method: "GET", path: "/.well-known/jwks.json"})
	l.status("jwks/get", x, 200)
	if ct := x.header.Get("Content-Type"); ct != "application/jwk-set+json" && ct != "application/json" {
		l.t.Errorf("jwks: Content-Type %q", ct)
	}
	if cc := x.header.Get("Cache-Control"); cc != "max-age="+strconv.Itoa(int(lcJWKSMaxAge.Seconds())) {
		l.t.Errorf("jwks: Cache-Control %q", cc)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(x.body, &set); err != nil || len(set.Keys) == 0 {
		l.t.Errorf("jwks: body %s", x.body)
	}
	for _, k := range set.Keys {
		if _, ok := k["d"]; ok {
			l.t.Errorf("jwks: a private member is published")
		}
	}
	x = l.do("jwks/post", req{method: "POST", path: "/.well-known/jwks.json"})
	l.errorBody("jwks/post", x, 405, "METHOD_NOT_ALLOWED", "")
}

// testVerifiedRoutes: the verified routes verify the issued tokens.
func (l *lc) testVerifiedRoutes() {
	h := l.login("verified/login-header", "/login", "verified", true)
	x := l.do("verified/header", req{method: "GET", path: "/any/required", header: []Header{bearer(h.access)}})
	l.status("verified/header", x, 200)
	if string(x.body) != `{"session":{"sub":"verified","source":"header"}}` {
		l.t.Errorf("verified/header: %s", x.body)
	}
	c := l.login("verified/login-cookie", "/login", "verified", false)
	x = l.do("verified/cookie", req{method: "GET", path: "/cookie/required", header: []Header{cookies(CookieName + "=" + c.access)}})
	if string(x.body) != `{"session":{"sub":"verified","source":"cookie"}}` {
		l.t.Errorf("verified/cookie: %d %s", x.status, x.body)
	}
	x = l.do("verified/marker", req{method: "GET", path: "/any/required", header: []Header{cookies(MarkerName + "=1")}})
	l.status("verified/marker", x, 401)
	if !strings.Contains(string(x.body), "TRY_REFRESH_TOKEN") {
		l.t.Errorf("verified/marker: %s", x.body)
	}
}

// testRevocation: the revocation check refuses a revoked session's access
// token at once; routes without it accept it until exp.
func (l *lc) testRevocation() {
	s := l.login("revocation/login", "/login", "revoked-user", true)
	x := l.do("revocation/before", req{method: "GET", path: "/revocation/required", header: []Header{bearer(s.access)}})
	l.status("revocation/before", x, 200)
	x = l.do("revocation/revoke-all", req{method: "POST", path: "/admin/revoke-all", body: `{"sub":"revoked-user"}`})
	l.status("revocation/revoke-all", x, 204)
	x = l.do("revocation/after", req{method: "GET", path: "/revocation/required", header: []Header{bearer(s.access)}})
	l.status("revocation/after", x, 401)
	if w := x.header.Get("Www-Authenticate"); !strings.Contains(w, `error="invalid_token"`) || !strings.Contains(string(x.body), `"UNAUTHORISED"`) {
		l.t.Errorf("revocation/after: %q %s", w, x.body)
	}
	x = l.do("revocation/unchecked-route", req{method: "GET", path: "/any/required", header: []Header{bearer(s.access)}})
	l.status("revocation/unchecked-route", x, 200)
	l.refreshGone("revocation/refresh-gone", s.refresh)
	x = l.do("revocation/revoke-all/bad", req{method: "POST", path: "/admin/revoke-all", body: `{"sub":""}`})
	l.errorBody("revocation/revoke-all/bad", x, 400, "INVALID_REQUEST", wwwRequest)
}

// testStoreOutage: 503 + Retry-After everywhere, nothing cleared, and the
// session works again once the store is back.
func (l *lc) testStoreOutage() {
	h := l.login("outage/login-header", "/login", "outage", true)
	c := l.login("outage/login-cookie", "/login", "outage", false)
	set := func(fail bool) {
		x := l.do("outage/set-"+strconv.FormatBool(fail), req{method: "POST", path: "/test/store", body: `{"fail":` + strconv.FormatBool(fail) + `}`})
		l.status("outage/set", x, 204)
	}
	set(true)
	defer set(false)
	for _, oc := range []struct {
		name string
		r    req
	}{
		{"outage/refresh-header", req{method: "POST", path: "/auth/refresh", header: []Header{bearer(h.refresh)}}},
		{"outage/refresh-cookie", req{method: "POST", path: "/auth/refresh", header: []Header{cookies("refresh_token=" + c.refresh)}}},
		{"outage/login", req{method: "POST", path: "/login", body: `{"sub":"outage"}`}},
		{"outage/logout", req{method: "POST", path: "/auth/logout", header: []Header{bearer(h.access)}}},
		{"outage/sessions", req{method: "GET", path: "/auth/sessions", header: []Header{bearer(h.access)}}},
		{"outage/revoke-own", req{method: "POST", path: "/auth/sessions/revoke", header: []Header{bearer(h.access)}, body: `{"sid":"` + c.sid + `"}`}},
		{"outage/payload", req{method: "POST", path: "/payload", header: []Header{bearer(h.access)}, body: `{"a":1}`}},
	} {
		x := l.do(oc.name, oc.r)
		l.errorBody(oc.name, x, 503, "STORE_UNAVAILABLE", "")
		if ra := x.header.Get("Retry-After"); ra == "" {
			l.t.Errorf("%s: no Retry-After", oc.name)
		}
		l.noTokens(oc.name, x)
		for _, secret := range []string{h.refresh, h.access, c.refresh, "injected"} {
			if strings.Contains(string(x.body), secret) {
				l.t.Errorf("%s: body leaks %q", oc.name, secret)
			}
		}
	}
	set(false)
	l.refreshOK("outage/after/header", h.refresh)
	x := l.do("outage/after/cookie", req{method: "POST", path: "/auth/refresh", header: []Header{cookies("refresh_token=" + c.refresh)}})
	l.status("outage/after/cookie", x, 200)
}
