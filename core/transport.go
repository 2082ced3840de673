package sessionguard

import (
	"errors"
	"net/http"
	"strings"
)

// Transport is an http.RoundTripper that forwards the current request's
// session token to downstream services (one backend calling another): it
// sets "Authorization: Bearer <token>" on outgoing requests whose context
// carries a session ([NewContext]; every adapter stores it there).
//
// Security behaviour: the token is only ever put into the Authorization
// header, never a query parameter or a custom header; it is only sent to the
// hosts listed in [NewTransport] (exact host[:port] match) and only over
// https, unless the host is loopback; an Authorization header already set on
// the outgoing request is left alone. Requests to other hosts go out
// unchanged.
type Transport struct {
	base  http.RoundTripper
	hosts map[string]struct{}
}

// NewTransport returns a Transport over base (nil: http.DefaultTransport)
// that forwards tokens to the given hosts ("api.internal.example:8443").
func NewTransport(base http.RoundTripper, hosts ...string) (*Transport, error) {
	if len(hosts) == 0 {
		return nil, errors.New("sessionguard: NewTransport needs at least one destination host")
	}
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, hosts: make(map[string]struct{}, len(hosts))}
	for _, h := range hosts {
		if h == "" || strings.ContainsAny(h, "/?#@ ") {
			return nil, errors.New("sessionguard: NewTransport: hosts are host[:port], e.g. api.example.com")
		}
		t.hosts[strings.ToLower(h)] = struct{}{}
	}
	return t, nil
}

// RoundTrip implements http.RoundTripper. It does not modify req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	s, ok := FromContext(req.Context())
	if !ok || req.URL == nil || req.Header.Get("Authorization") != "" {
		return t.base.RoundTrip(req)
	}
	if _, allowed := t.hosts[strings.ToLower(req.URL.Host)]; !allowed {
		return t.base.RoundTrip(req)
	}
	if req.URL.Scheme != "https" && !isLoopback(req.URL.Hostname()) {
		return t.base.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+s.Token())
	return t.base.RoundTrip(out)
}
