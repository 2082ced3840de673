package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// started is a demo running in-process on free ports.
type started struct {
	api, app, backend string
}

func startDemo(t *testing.T, framework string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	cfg := config{
		addr: "127.0.0.1:0", appAddr: "127.0.0.1:0", backendAddr: "127.0.0.1:0",
		framework: framework, data: t.TempDir(), accessTTL: time.Minute,
	}
	go func() { done <- run(ctx, cfg, pw, io.Discard); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	var out strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if sc.Text() == "ready" {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	find := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no %s in\n%s", re, out.String())
		}
		return m[1]
	}
	return started{
		api:     find(`(?m)^cookie mode \(same origin\):\s+(\S+)/$`),
		app:     find(`(?m)^header mode \(second origin\):\s+(\S+)/$`),
		backend: find(`(?m)^second backend:\s+(\S+)/whoami`),
	}
}

// call is one request; headers alternate name, value.
type call struct {
	method, url, body string
	headers           []string
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, c call) answer {
	t.Helper()
	req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(c.headers); i += 2 {
		req.Header.Add(c.headers[i], c.headers[i+1])
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

// cookie returns the value of name's Set-Cookie line and the line.
func cookie(a answer, name string) (value, line string) {
	for _, l := range a.header.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(l, name+"="); ok {
			value, _, _ = strings.Cut(v, ";")
			return value, l
		}
	}
	return "", ""
}

func (a answer) str(path ...string) string {
	var v any = a.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// TestDemo drives the demo's server wiring without a browser, in every
// framework: the client is served on both origins, cookie and header
// sessions, forwarding to the second backend, CORS before the guard, the
// cross-origin refusals, devices, revocation, refresh and logout.
func TestDemo(t *testing.T) {
	for _, fw := range frameworkNames() {
		t.Run(fw, func(t *testing.T) {
			d := startDemo(t, fw)

			t.Run("the client on both origins", func(t *testing.T) {
				if a := do(t, call{method: "GET", url: d.api + "/"}); a.status != 200 || !strings.Contains(a.raw, "Development sign-in") {
					t.Errorf("GET / = %d", a.status)
				}
				if a := do(t, call{method: "GET", url: d.api + "/config.js"}); !strings.Contains(a.raw, `"mode":"cookie"`) {
					t.Errorf("API config %q", a.raw)
				}
				a := do(t, call{method: "GET", url: d.app + "/config.js"})
				if !strings.Contains(a.raw, `"api":"`+d.api+`"`) || !strings.Contains(a.raw, `"mode":"header"`) {
					t.Errorf("second origin config %q", a.raw)
				}
				if a := do(t, call{method: "GET", url: d.app + "/app.js"}); a.status != 200 {
					t.Errorf("second origin app.js %d", a.status)
				}
			})

			t.Run("cookie mode", func(t *testing.T) {
				login := do(t, call{method: "POST", url: d.api + "/api/login", body: `{"name":"alice"}`,
					headers: []string{"Content-Type", "application/json", "Sec-Fetch-Site", "same-origin"}})
				if login.status != 200 || login.str("session", "sub") != "alice" {
					t.Fatalf("login %d %s", login.status, login.raw)
				}
				access, line := cookie(login, "access_token")
				for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=60"} {
					if !strings.Contains(line, attr) {
						t.Errorf("access cookie %q lacks %s", line, attr)
					}
				}
				refresh, l := cookie(login, "refresh_token")
				if !strings.Contains(l, "Path=/auth") || !strings.Contains(l, "Secure") {
					t.Errorf("refresh cookie %q", l)
				}
				p := do(t, call{method: "GET", url: d.api + "/api/profile", headers: []string{"Cookie", "access_token=" + access}})
				if p.status != 200 || p.str("source") != "cookie" || p.str("sub") != "alice" || p.str("framework") != fw {
					t.Fatalf("profile %d %s", p.status, p.raw)
				}
				if p.str("backend", "sub") != "alice" || p.str("backend", "source") != "header" || p.str("backend", "sid") != p.str("sid") {
					t.Errorf("the second backend's answer %s", p.raw)
				}
				if strings.Contains(p.raw, access) {
					t.Error("the profile shows the token")
				}
				// A form or fetch from another port of 127.0.0.1 is same-site:
				// the browser sends the Lax cookie, the guard refuses it.
				for _, path := range []string{"/api/sessions/revoke-others", "/auth/logout", "/auth/refresh"} {
					a := do(t, call{method: "POST", url: d.api + path, headers: []string{
						"Cookie", "access_token=" + access + "; refresh_token=" + refresh + "; refresh_marker=1",
						"Sec-Fetch-Site", "same-site", "Origin", "http://127.0.0.1:1"}})
					if a.status != 403 || a.str("error") != "CROSS_ORIGIN_REQUEST" {
						t.Errorf("cross-origin POST %s = %d %s", path, a.status, a.raw)
					}
				}
				a := do(t, call{method: "POST", url: d.api + "/api/login", body: `{"name":"mallory"}`,
					headers: []string{"Sec-Fetch-Site", "cross-site"}})
				if a.status != 403 {
					t.Errorf("cross-site cookie login = %d", a.status)
				}
				// Only the marker left: TRY_REFRESH_TOKEN, the client's cue to refresh.
				if a := do(t, call{method: "GET", url: d.api + "/api/profile", headers: []string{"Cookie", "refresh_marker=1"}}); a.str("error") != "TRY_REFRESH_TOKEN" {
					t.Errorf("marker only: %d %s", a.status, a.raw)
				}
			})

			t.Run("header mode from the second origin", func(t *testing.T) {
				origin := []string{"Origin", d.app}
				pre := do(t, call{method: "OPTIONS", url: d.api + "/api/login", headers: append(origin,
					"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,session-transfer")})
				if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != d.app ||
					pre.header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, Session-Transfer" {
					t.Errorf("preflight %d %v", pre.status, pre.header)
				}
				if pre.header.Get("Access-Control-Allow-Credentials") != "" {
					t.Error("credentials allowed")
				}
				other := do(t, call{method: "OPTIONS", url: d.api + "/api/login", headers: []string{
					"Origin", "http://127.0.0.1:1", "Access-Control-Request-Method", "POST"}})
				if other.header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("another origin is allowed: %v", other.header)
				}
				login := func(name string) answer {
					a := do(t, call{method: "POST", url: d.api + "/api/login", body: `{"name":"` + name + `"}`, headers: append(origin,
						"Content-Type", "application/json", "Session-Transfer", "header", "Sec-Fetch-Site", "same-site")})
					if a.status != 200 || a.header.Get("Access-Token") == "" || a.header.Get("Refresh-Token") == "" {
						t.Fatalf("header login %d %s", a.status, a.raw)
					}
					if len(a.header.Values("Set-Cookie")) != 0 {
						t.Errorf("header mode set cookies: %v", a.header.Values("Set-Cookie"))
					}
					return a
				}
				one, two := login("bob"), login("bob")
				bearer := func(a answer) []string {
					return append(origin, "Authorization", "Bearer "+a.header.Get("Access-Token"))
				}
				p := do(t, call{method: "GET", url: d.api + "/api/profile", headers: bearer(one)})
				if p.status != 200 || p.str("source") != "header" || p.str("backend", "sub") != "bob" {
					t.Fatalf("profile %d %s", p.status, p.raw)
				}
				if p.header.Get("Access-Control-Allow-Origin") != d.app {
					t.Error("no CORS on the answer")
				}
				// CORS runs before the guard: the refusal is readable too.
				r := do(t, call{method: "GET", url: d.api + "/api/profile", headers: origin})
				if r.status != 401 || r.header.Get("Access-Control-Allow-Origin") != d.app ||
					!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
					t.Errorf("refusal %d %v", r.status, r.header)
				}
				devices := do(t, call{method: "GET", url: d.api + "/auth/sessions", headers: bearer(one)})
				if list, _ := devices.body["sessions"].([]any); devices.status != 200 || len(list) != 2 {
					t.Errorf("devices %d %s", devices.status, devices.raw)
				}
				ref := do(t, call{method: "POST", url: d.api + "/auth/refresh", headers: append(origin, "Authorization", "Bearer "+two.header.Get("Refresh-Token"))})
				if ref.status != 200 || ref.header.Get("Access-Token") == "" {
					t.Fatalf("refresh %d %s", ref.status, ref.raw)
				}
				if a := do(t, call{method: "POST", url: d.api + "/api/sessions/revoke-others", headers: bearer(one)}); a.status != 204 {
					t.Fatalf("revoke others %d %s", a.status, a.raw)
				}
				// The other session is refused at once (revocation check) and cannot refresh.
				if a := do(t, call{method: "GET", url: d.api + "/api/profile", headers: bearer(ref)}); a.status != 401 {
					t.Errorf("revoked session's profile %d", a.status)
				}
				if a := do(t, call{method: "POST", url: d.api + "/auth/refresh", headers: append(origin, "Authorization", "Bearer "+ref.header.Get("Refresh-Token"))}); a.status != 401 {
					t.Errorf("revoked session's refresh %d", a.status)
				}
				out := do(t, call{method: "POST", url: d.api + "/auth/logout", headers: append(origin, "Authorization", "Bearer "+one.header.Get("Refresh-Token"))})
				if out.status != 204 {
					t.Errorf("logout %d", out.status)
				}
				if a := do(t, call{method: "GET", url: d.api + "/api/profile", headers: bearer(one)}); a.status != 401 {
					t.Errorf("after logout %d", a.status)
				}
			})

			t.Run("the second backend verifies for itself", func(t *testing.T) {
				if a := do(t, call{method: "GET", url: d.backend + "/whoami"}); a.status != 401 {
					t.Errorf("no token %d", a.status)
				}
				if a := do(t, call{method: "GET", url: d.backend + "/whoami", headers: []string{"Authorization", "Bearer x.y.z"}}); a.status != 401 {
					t.Errorf("junk token %d", a.status)
				}
			})
		})
	}
}

func TestUnknownFramework(t *testing.T) {
	err := run(context.Background(), config{framework: "martini"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "martini") {
		t.Fatalf("err %v", err)
	}
}
