package conformance

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Cookie lines of docs/lifecycle.md §6 with the suite's lifetimes; the
// server runs with Secure cookies (no -insecure-cookies).
func setLines(access, refresh, base string) []string {
	age, sess := strconv.Itoa(int(lcAccessTTL.Seconds())), strconv.Itoa(int(lcSessionTTL.Seconds()))
	return []string{
		CookieName + "=" + access + "; Path=/; Max-Age=" + age + "; HttpOnly; Secure; SameSite=Lax",
		"refresh_token=" + refresh + "; Path=" + base + "; Max-Age=" + sess + "; HttpOnly; Secure; SameSite=Lax",
		MarkerName + "=1; Path=/; Max-Age=" + sess + "; Secure; SameSite=Lax",
	}
}

func clearLines(base string) []string {
	return []string{
		CookieName + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax",
		"refresh_token=; Path=" + base + "; Max-Age=0; HttpOnly; Secure; SameSite=Lax",
		MarkerName + "=; Path=/; Max-Age=0; Secure; SameSite=Lax",
	}
}

// wantSetCookie checks the Set-Cookie lines as a set.
func (l *lc) wantSetCookie(name string, x exchange, want []string) {
	l.t.Helper()
	got := append([]string(nil), x.header.Values("Set-Cookie")...)
	want = append([]string(nil), want...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		l.t.Errorf("%s: Set-Cookie\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// wantHeaderTokens checks Access-Token and Refresh-Token: absent (present
// false), or present with the values (empty values: cleared), plus the
// expose list.
func (l *lc) wantHeaderTokens(name string, x exchange, present bool, access, refresh string) {
	l.t.Helper()
	for h, want := range map[string]string{"Access-Token": access, "Refresh-Token": refresh} {
		vals, ok := x.header[h]
		switch {
		case !present && ok:
			l.t.Errorf("%s: %s present, want absent", name, h)
		case present && (len(vals) != 1 || vals[0] != want):
			l.t.Errorf("%s: %s = %q, want %q", name, h, vals, want)
		}
	}
	expose := x.header.Get("Access-Control-Expose-Headers")
	if present != (expose == "Access-Token, Refresh-Token") {
		l.t.Errorf("%s: Access-Control-Expose-Headers %q (header tokens touched: %v)", name, expose, present)
	}
}

func (l *lc) noStore(name string, x exchange) {
	l.t.Helper()
	if cc := x.header.Get("Cache-Control"); cc != "no-store" {
		l.t.Errorf("%s: Cache-Control %q, want no-store", name, cc)
	}
}

// madeUp is a refresh token of the right shape under tok's (public) handle
// with a different secret: never issued, it must never harm the session.
func madeUp(tok string) string {
	i := strings.IndexByte(tok, '.') + 12
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// testCreate: transfer on create, the three cookies, header mode.
func (l *lc) testCreate() {
	x := l.do("create/cookie", req{method: "POST", path: "/login", body: `{"sub":"alice","payload":{"plan":"pro"}}`})
	l.status("create/cookie", x, 200)
	s := l.sessionOf("create/cookie", x, true)
	l.wantSetCookie("create/cookie", x, setLines(s.access, s.refresh, "/auth"))
	l.wantHeaderTokens("create/cookie", x, false, "", "")
	l.noStore("create/cookie", x)
	if sess, err := l.verify(s.access); err == nil {
		if plan, _ := sess.Claim("plan"); string(plan) != `"pro"` {
			l.t.Errorf("create/cookie: payload claim plan = %s", plan)
		}
	}

	for _, c := range []struct {
		name, path, transfer string
		header               bool
	}{
		{"create/any/header", "/login", "header", true},
		{"create/any/cookie", "/login", "cookie", false},
		{"create/any/other-value", "/login", "Header", false},
		{"create/header-mount", "/header/login", "", true},
		{"create/header-mount/ignores-transfer", "/header/login", "cookie", true},
		{"create/cookie-mount", "/cookie/login", "header", false},
	} {
		var h []Header
		if c.transfer != "" {
			h = append(h, Header{"Session-Transfer", c.transfer})
		}
		x := l.do(c.name, req{method: "POST", path: c.path, header: h, body: `{"sub":"alice"}`})
		l.status(c.name, x, 200)
		s := l.sessionOf(c.name, x, !c.header)
		l.noStore(c.name, x)
		if c.header {
			l.wantHeaderTokens(c.name, x, true, s.access, s.refresh)
			l.wantSetCookie(c.name, x, nil)
		} else {
			base := "/auth"
			if c.path == "/cookie/login" {
				base = "/cookie/auth"
			}
			l.wantSetCookie(c.name, x, setLines(s.access, s.refresh, base))
			l.wantHeaderTokens(c.name, x, false, "", "")
		}
	}

	for _, c := range []struct{ name, method, body string }{
		{"create/refused/empty-subject", "POST", `{"sub":""}`},
		{"create/refused/reserved-claim", "POST", `{"sub":"alice","payload":{"sid":"x"}}`},
		{"create/refused/not-json", "POST", `{"sub":`},
		{"create/refused/trailing", "POST", `{"sub":"a"} {}`},
	} {
		x := l.do(c.name, req{method: c.method, path: "/login", body: c.body})
		l.errorBody(c.name, x, 400, "INVALID_REQUEST", wwwRequest)
		l.noTokens(c.name, x)
	}
	// The body is read raw in every framework: a Content-Encoding is not
	// decoded (Fiber's c.Body() would).
	x = l.do("create/raw-body", req{method: "POST", path: "/login", header: []Header{{"Content-Encoding", "gzip"}}, body: `{"sub":"alice"}`})
	l.status("create/raw-body", x, 200)
	x = l.do("create/get", req{method: "GET", path: "/login"})
	l.errorBody("create/get", x, 405, "METHOD_NOT_ALLOWED", "")
	if a := x.header.Get("Allow"); a != "POST" {
		l.t.Errorf("create/get: Allow %q", a)
	}
}

// refreshRow is one row of the refresh table of docs/lifecycle.md §6.
type refreshRow struct {
	n            int
	mount        string // "" (any), "/header", "/cookie"
	header, ck   bool   // what the request carries
	judge        string // "header", "cookie" or "" (nothing to judge)
	transferName string
}

var refreshRows = []refreshRow{
	{1, "", false, false, "", "any"}, {2, "/header", false, false, "", "header"}, {3, "/cookie", false, false, "", "cookie"},
	{4, "", false, true, "cookie", "any"}, {5, "/header", false, true, "", "header"}, {6, "/cookie", false, true, "cookie", "cookie"},
	{7, "", true, false, "header", "any"}, {8, "/header", true, false, "header", "header"}, {9, "/cookie", true, false, "", "cookie"},
	{10, "", true, true, "header", "any"}, {11, "/header", true, true, "header", "header"}, {12, "/cookie", true, true, "cookie", "cookie"},
}

// testRefreshTable runs every row with valid tokens and with made-up ones.
func (l *lc) testRefreshTable() {
	for _, row := range refreshRows {
		for _, valid := range []bool{true, false} {
			kind := "valid"
			if !valid {
				kind = "invalid"
			}
			name := fmt.Sprintf("refresh/row%02d/%s/header=%v/cookie=%v/%s", row.n, row.transferName, row.header, row.ck, kind)
			l.refreshRow(name, row, valid)
		}
	}
}

func (l *lc) refreshRow(name string, row refreshRow, valid bool) {
	hs := l.login(name+"/login-h", "/login", "rowuser", true)
	cs := l.login(name+"/login-c", "/login", "rowuser", true)
	hTok, cTok := hs.refresh, cs.refresh
	if !valid {
		hTok, cTok = madeUp(hTok), madeUp(cTok)
	}
	var h []Header
	if row.header {
		h = append(h, bearer(hTok))
	}
	if row.ck {
		h = append(h, cookies("refresh_token="+cTok))
	}
	base := row.mount + "/auth"
	x := l.do(name, req{method: "POST", path: base + "/refresh", header: h})
	l.noStore(name, x)
	switch {
	case row.judge == "":
		l.errorBody(name, x, 401, "UNAUTHORISED", wwwBare)
		l.wantSetCookie(name, x, clearLines(base))
		l.wantHeaderTokens(name, x, true, "", "")
	case !valid:
		l.errorBody(name, x, 401, "UNAUTHORISED", wwwInvalid)
		if row.judge == "cookie" {
			l.wantSetCookie(name, x, clearLines(base))
			l.wantHeaderTokens(name, x, false, "", "")
		} else {
			l.wantSetCookie(name, x, nil)
			l.wantHeaderTokens(name, x, true, "", "")
		}
		// A made-up secret under the real handle never harms the session.
		real := hs.refresh
		if row.judge == "cookie" {
			real = cs.refresh
		}
		y := l.do(name+"/session-unharmed", req{method: "POST", path: "/header/auth/refresh", header: []Header{bearer(real)}})
		l.status(name+"/session-unharmed", y, 200)
	case row.judge == "header":
		l.status(name, x, 200)
		s := l.sessionOf(name, x, false)
		if s.sid != hs.sid || s.refresh == hs.refresh {
			l.t.Errorf("%s: the header's session was not refreshed with rotation", name)
		}
		l.wantHeaderTokens(name, x, true, s.access, s.refresh)
		if row.ck {
			l.wantSetCookie(name, x, clearLines(base))
		} else {
			l.wantSetCookie(name, x, nil)
		}
	default: // cookie judged
		l.status(name, x, 200)
		s := l.sessionOf(name, x, true)
		if s.sid != cs.sid || s.refresh == cs.refresh {
			l.t.Errorf("%s: the cookie's session was not refreshed with rotation", name)
		}
		l.wantSetCookie(name, x, setLines(s.access, s.refresh, base))
		if row.header {
			l.wantHeaderTokens(name, x, true, "", "")
		} else {
			l.wantHeaderTokens(name, x, false, "", "")
		}
	}
}

// testRefreshWire: what counts as a refresh token, cross-origin, duplicate
// Authorization, methods.
func (l *lc) testRefreshWire() {
	s := l.login("wire/login", "/login", "wire", true)
	for _, c := range []struct{ name, authz string }{
		{"wire/access-token-in-authorization", "Bearer " + s.access},
		{"wire/basic", "Basic " + s.refresh},
		{"wire/junk", "Bearer not/a*token"},
		{"wire/too-long", "Bearer " + strings.Repeat("a", 513)},
		{"wire/two-dots", "Bearer a.b.c"},
	} {
		x := l.do(c.name, req{method: "POST", path: "/auth/refresh", header: []Header{{"Authorization", c.authz}}})
		l.errorBody(c.name, x, 401, "UNAUTHORISED", wwwBare)
		l.wantSetCookie(c.name, x, clearLines("/auth"))
	}
	x := l.do("wire/bearer-case-insensitive", req{method: "POST", path: "/auth/refresh", header: []Header{{"Authorization", "bEaReR   " + s.refresh}}})
	l.status("wire/bearer-case-insensitive", x, 200)
	s = l.sessionOf("wire/bearer-case-insensitive", x, false)

	for _, c := range []struct {
		name string
		h    []Header
	}{
		{"wire/cross-site", []Header{{"Sec-Fetch-Site", "cross-site"}}},
		{"wire/foreign-origin", []Header{{"Origin", "https://evil.example"}}},
	} {
		h := append(c.h, cookies("refresh_token="+s.refresh))
		x := l.do(c.name, req{method: "POST", path: "/auth/refresh", header: h})
		l.errorBody(c.name, x, 403, "CROSS_ORIGIN_REQUEST", "")
		l.noTokens(c.name, x)
	}
	// Header-carried refresh is never subject to the cross-origin check.
	x = l.do("wire/cross-site-header", req{method: "POST", path: "/auth/refresh", header: []Header{{"Sec-Fetch-Site", "cross-site"}, bearer(s.refresh)}})
	l.status("wire/cross-site-header", x, 200)
	s = l.sessionOf("wire/cross-site-header", x, false)

	x = l.do("wire/two-authorization", req{method: "POST", path: "/auth/refresh", header: []Header{bearer(s.refresh), bearer(s.refresh)}})
	l.errorBody("wire/two-authorization", x, 400, "INVALID_REQUEST", wwwRequest)
	l.noTokens("wire/two-authorization", x)

	for _, path := range []string{"/auth/refresh", "/header/auth/refresh", "/cookie/auth/refresh", "/auth/logout", "/cookie/auth/logout", "/auth/sessions/revoke"} {
		for _, m := range []string{"GET", "PUT", "DELETE", "OPTIONS", "PATCH"} {
			name := "wire/method/" + m + path
			x := l.do(name, req{method: m, path: path, header: []Header{bearer(s.refresh)}})
			l.errorBody(name, x, 405, "METHOD_NOT_ALLOWED", "")
			if a := x.header.Get("Allow"); a != "POST" {
				l.t.Errorf("%s: Allow %q", name, a)
			}
			l.noTokens(name, x)
		}
	}
	x = l.do("wire/method/POST/auth/sessions", req{method: "POST", path: "/auth/sessions", header: []Header{bearer(s.access)}})
	l.errorBody("wire/method/POST/auth/sessions", x, 405, "METHOD_NOT_ALLOWED", "")
	if a := x.header.Get("Allow"); a != http.MethodGet {
		l.t.Errorf("sessions: Allow %q", a)
	}
}
