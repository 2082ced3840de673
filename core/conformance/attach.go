package conformance

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// The Attach part of the suite: an application's own handler (a login that
// writes its own body) attaches the header fields of a created session with
// the adapter's Attach. Every adapter's test serves [AttachResponse] that
// way, answering [AttachStatus] with [AttachBody] as text/plain, and checks
// the answer with [CheckAttach].

// AttachStatus and AttachBody are what the application's handler writes
// after Attach.
const (
	AttachStatus = http.StatusCreated
	AttachBody   = "created"
)

// attachCookies are several Set-Cookie lines, two with one name (a cookie
// set at one path and cleared at another), which a framework keyed by
// cookie name (fasthttp) must still deliver byte for byte, in order.
var attachCookies = []string{
	"access_token=eyJ.a.b; Path=/; Max-Age=900; HttpOnly; Secure; SameSite=Lax",
	"refresh_token=h.s; Path=/auth; Max-Age=2592000; HttpOnly; Secure; SameSite=Lax",
	"refresh_token=; Path=/old; Max-Age=0; HttpOnly; Secure; SameSite=Lax",
	`refresh_marker=1; Path=/; Max-Age=2592000; Secure; SameSite=Lax`,
}

// AttachResponse is a create response as the issuer renders it: Set-Cookie
// lines, token headers, Cache-Control, and a Content-Type of its own JSON
// body (which Attach must leave out).
func AttachResponse() sessionguard.Response {
	return sessionguard.Response{Status: http.StatusOK, Header: http.Header{
		"Set-Cookie":                    append([]string(nil), attachCookies...),
		"Access-Token":                  {"eyJ.c.d"},
		"Access-Control-Expose-Headers": {"Access-Token, Refresh-Token"},
		"Cache-Control":                 {"no-store"},
		"Content-Type":                  {sessionguard.ContentTypeJSON},
	}, Body: []byte(`{"session":{}}`)}
}

// CheckAttach checks what the application's handler answered.
func CheckAttach(t *testing.T, status int, h http.Header, body []byte) {
	t.Helper()
	if status != AttachStatus || string(body) != AttachBody {
		t.Errorf("status %d body %q, want %d %q", status, body, AttachStatus, AttachBody)
	}
	if got := h.Values("Set-Cookie"); strings.Join(got, "\n") != strings.Join(attachCookies, "\n") {
		t.Errorf("Set-Cookie\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(attachCookies, "\n"))
	}
	for name, want := range map[string]string{
		"Access-Token": "eyJ.c.d", "Access-Control-Expose-Headers": "Access-Token, Refresh-Token",
		"Cache-Control": "no-store", "Content-Type": "text/plain",
	} {
		if got := h.Values(name); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// CheckServed checks what an adapter's Handler answered for an endpoint
// returning [AttachResponse]: every field as the core rendered it (the four
// Set-Cookie lines in order), and the body.
func CheckServed(t *testing.T, status int, h http.Header, body []byte) {
	t.Helper()
	want := AttachResponse()
	if status != want.Status || string(body) != string(want.Body) {
		t.Errorf("status %d body %q, want %d %q", status, body, want.Status, want.Body)
	}
	if got := h.Values("Set-Cookie"); strings.Join(got, "\n") != strings.Join(attachCookies, "\n") {
		t.Errorf("Set-Cookie\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(attachCookies, "\n"))
	}
	for name, vals := range want.Header {
		if name == "Set-Cookie" {
			continue
		}
		if got := h.Values(name); strings.Join(got, "|") != strings.Join(vals, "|") {
			t.Errorf("%s = %q, want %q", name, got, vals)
		}
	}
}

// EndpointMethods are the methods an adapter's Handler must pass to the
// endpoint unchanged.
var EndpointMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// ServeEndpointCheck is the endpoint an adapter's Handler test serves: it
// answers [AttachResponse] and reports, through seen, what it read of the
// request through the view's optional capabilities.
func ServeEndpointCheck(seen func(method, addr string, body []byte, bodyErr error)) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(_ context.Context, r sessionguard.Request) sessionguard.Response {
		b, err := sessionguard.ReadBody(r, 8)
		seen(r.Method(), sessionguard.ClientAddr(r), b, err)
		return AttachResponse()
	})
}

// RunHandler sends every method of [EndpointMethods] to base (an adapter's
// Handler serving [ServeEndpointCheck]) with the body "12345678" (at the
// limit) and once with "123456789" (over it), and checks the answers and
// what the endpoint saw: the method unchanged, the peer 127.0.0.1, the body
// raw, [sessionguard.ErrBodyTooLarge] over the limit.
func RunHandler(t *testing.T, base string, last func() (method, addr string, body []byte, bodyErr error)) {
	t.Helper()
	for _, m := range EndpointMethods {
		for _, body := range []string{"12345678", "123456789"} {
			rq, _ := http.NewRequest(m, base+"/endpoint", strings.NewReader(body))
			rq.Header.Set("Content-Encoding", "gzip") // never decoded
			resp, err := http.DefaultClient.Do(rq)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			CheckServed(t, resp.StatusCode, resp.Header, b)
			gm, addr, gb, gerr := last()
			if gm != m || addr != "127.0.0.1" {
				t.Errorf("%s: endpoint saw method %q addr %q", m, gm, addr)
			}
			if len(body) > 8 {
				if !errors.Is(gerr, sessionguard.ErrBodyTooLarge) {
					t.Errorf("%s: over the limit: %q %v", m, gb, gerr)
				}
			} else if gerr != nil || string(gb) != body {
				t.Errorf("%s: body %q %v, want %q", m, gb, gerr, body)
			}
		}
	}
}

// Recorder keeps the last request an endpoint saw (for [RunHandler]).
type Recorder struct {
	mu     sync.Mutex
	method string
	addr   string
	body   []byte
	err    error
}

// Seen records one request; pass it to [ServeEndpointCheck].
func (r *Recorder) Seen(method, addr string, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.method, r.addr, r.body, r.err = method, addr, append([]byte(nil), body...), err
}

// Last returns the last request seen; pass it to [RunHandler].
func (r *Recorder) Last() (method, addr string, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.method, r.addr, r.body, r.err
}
