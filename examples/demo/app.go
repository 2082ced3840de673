package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

//go:embed web
var web embed.FS

// config is what the flags set.
type config struct {
	addr, appAddr, backendAddr string // API, second origin, second backend
	framework                  string // nethttp, gin, echo, fiber
	data                       string // folder of the SQLite file
	accessTTL                  time.Duration
	insecureCookies            bool
}

// demo is the framework-neutral part of the API: the issuer over SQLite,
// the verifier that agrees with it, the session endpoints' mount, and the
// demo's own endpoints. Each framework only routes to these (frameworks.go).
type demo struct {
	cfg     config
	apiBase string // http://host:port of the API
	appBase string // the second origin, the only one CORS allows
	store   *sqlitestore.Store
	iss     *sessionissuer.Issuer
	v       *sessionguard.Verifier
	mount   *sessionissuer.Mount
	backend *http.Client // calls the second backend through sessionguard.NewTransport
	backURL string
	log     *slog.Logger
}

// route is one path of the API: served for every method (the endpoint
// answers 405 itself), behind the required guard when guarded.
type route struct {
	path    string
	guarded bool
	ep      sessionguard.Endpoint
}

func newDemo(ctx context.Context, cfg config, apiBase, appBase, backendBase string, log *slog.Logger) (*demo, error) {
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return nil, err
	}
	st, err := sqlitestore.New(filepath.Join(cfg.data, "sessions.db"))
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	// Development: no master key (sessionissuer.WithMasterKey), so the
	// signing keys sit unencrypted in the SQLite file. Configure one in
	// production (docs/issuer.md).
	iss, err := sessionissuer.New(st,
		sessionissuer.WithIssuer(apiBase),
		sessionissuer.WithAccessTTL(cfg.accessTTL),
		sessionissuer.WithLogger(log))
	if err != nil {
		st.Close()
		return nil, err
	}
	d := &demo{cfg: cfg, apiBase: apiBase, appBase: appBase, store: st, iss: iss, log: log, backURL: backendBase + "/whoami"}
	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := iss.Ready(readyCtx); err != nil {
		d.close()
		return nil, fmt.Errorf("the signing keys did not load: %w", err)
	}
	// One machine, one clock: a 1 s leeway (default 30 s) lets an expired
	// access token be refused right after its lifetime, which is what the
	// demo wants to show.
	opts := append(iss.VerifierOptions(), sessionguard.WithLeeway(time.Second), sessionguard.WithLogger(log))
	if d.v, err = sessionguard.New(opts...); err != nil {
		d.close()
		return nil, err
	}
	if err := d.v.Ready(readyCtx); err != nil {
		d.close()
		return nil, err
	}
	var mopts []sessionissuer.HTTPOption
	if cfg.insecureCookies {
		mopts = append(mopts, sessionissuer.WithInsecureCookies())
	}
	if d.mount, err = iss.Mount(d.v, mopts...); err != nil {
		d.close()
		return nil, err
	}
	u, err := url.Parse(backendBase)
	if err != nil {
		d.close()
		return nil, err
	}
	// The forwarded token goes to the second backend's host only.
	tr, err := sessionguard.NewTransport(nil, u.Host)
	if err != nil {
		d.close()
		return nil, err
	}
	d.backend = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	return d, nil
}

func (d *demo) close() {
	if d.v != nil {
		d.v.Close()
	}
	d.iss.Close()
	d.store.Close()
}

// routes is the API every framework serves.
func (d *demo) routes() []route {
	base := d.mount.BasePath()
	return []route{
		{"/", false, static("web/index.html", "text/html; charset=utf-8")},
		{"/app.js", false, static("web/app.js", "text/javascript; charset=utf-8")},
		{"/style.css", false, static("web/style.css", "text/css; charset=utf-8")},
		{"/config.js", false, clientConfig("", "cookie")},
		{"/api/login", false, sessionguard.EndpointFunc(d.login)},
		{"/api/profile", true, sessionguard.EndpointFunc(d.profile)},
		{"/api/sessions/revoke-others", true, sessionguard.EndpointFunc(d.revokeOthers)},
		{base + "/refresh", false, d.mount.Refresh()},
		{base + "/logout", false, d.mount.Logout()},
		{base + "/sessions", false, d.mount.Sessions()},
		{base + "/sessions/revoke", false, d.mount.RevokeSession()},
		{"/.well-known/jwks.json", false, d.iss.JWKSEndpoint(d.v)},
	}
}

// guardOptions are the options of the required guard in front of the
// guarded routes: a revoked session is refused at once, not only at its
// next refresh.
func (d *demo) guardOptions() []sessionguard.RouteOption {
	return []sessionguard.RouteOption{sessionguard.WithRevocationCheck(d.iss.Revocations())}
}

func jsonResponse(status int, v any) sessionguard.Response {
	b, _ := json.Marshal(v)
	return sessionguard.Response{Status: status, Header: http.Header{
		"Content-Type":  {sessionguard.ContentTypeJSON},
		"Cache-Control": {"no-store"},
	}, Body: b}
}

func (d *demo) methodNotAllowed(allow string) sessionguard.Response {
	return d.v.ErrorResponse(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "method not allowed",
		sessionguard.ChallengeNone, sessionguard.HeaderField{Name: "Allow", Value: allow})
}

// login is the development stand-in for the application's own login: it
// trusts the name it is given. A real application authenticates the user
// first and then calls Mount.Create exactly like this.
func (d *demo) login(ctx context.Context, r sessionguard.Request) sessionguard.Response {
	if r.Method() != http.MethodPost {
		return d.methodNotAllowed("POST")
	}
	// A cookie-mode login must come from the API's own origin (no login
	// CSRF: a cross-site form cannot plant its session in the browser).
	// Header mode needs no check: a form cannot set Session-Transfer, and
	// the tokens come back in headers only a CORS-allowed origin reads.
	if !isHeaderTransfer(r) && !d.v.CrossOriginAllowed(r) {
		return d.v.ErrorResponse(http.StatusForbidden, sessionguard.CodeCrossOriginRequest,
			"cross-origin request refused", sessionguard.ChallengeNone)
	}
	body, err := sessionguard.ReadBody(r, 1024)
	var in struct {
		Name string `json:"name"`
	}
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	name := strings.TrimSpace(in.Name)
	if err != nil || name == "" || len(name) > 64 {
		return d.v.ErrorResponse(http.StatusBadRequest, sessionguard.CodeInvalidRequest,
			`send {"name":"…"} with 1 to 64 characters`, sessionguard.ChallengeInvalidRequest)
	}
	return d.mount.Create(ctx, r, name, map[string]any{"name": name}, "")
}

func isHeaderTransfer(r sessionguard.Request) bool {
	v := r.Values("Session-Transfer")
	return len(v) == 1 && v[0] == "header"
}

// profile answers the session the guard verified, and what the second
// backend says about the same token forwarded to it.
func (d *demo) profile(ctx context.Context, r sessionguard.Request) sessionguard.Response {
	if r.Method() != http.MethodGet {
		return d.methodNotAllowed("GET")
	}
	s, ok := sessionguard.FromContext(ctx)
	if !ok {
		return d.v.ErrorResponse(http.StatusUnauthorized, sessionguard.CodeUnauthorised, "no session", sessionguard.ChallengeBearer)
	}
	var payload struct {
		Name string `json:"name"`
	}
	_ = s.DecodeClaims(&payload)
	out := map[string]any{
		"sub":        s.Subject(),
		"sid":        s.SessionID(),
		"name":       payload.Name,
		"source":     s.Source().String(),
		"expires_at": s.Expiry().Unix(),
		"framework":  d.cfg.framework,
	}
	answer, err := d.callBackend(ctx)
	if err != nil {
		out["backend_error"] = err.Error()
	} else {
		out["backend"] = answer
	}
	return jsonResponse(http.StatusOK, out)
}

// callBackend calls the second backend with ctx, which carries the session:
// sessionguard.NewTransport adds the caller's token as Authorization: Bearer.
func (d *demo) callBackend(ctx context.Context) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.backURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.backend.Do(req)
	if err != nil {
		return nil, errors.New("the second backend did not answer")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil || resp.StatusCode != http.StatusOK || !json.Valid(b) {
		return nil, fmt.Errorf("the second backend answered %d", resp.StatusCode)
	}
	return b, nil
}

// revokeOthers signs out every other session of the caller.
func (d *demo) revokeOthers(ctx context.Context, r sessionguard.Request) sessionguard.Response {
	if r.Method() != http.MethodPost {
		return d.methodNotAllowed("POST")
	}
	s, _ := sessionguard.FromContext(ctx)
	if s == nil || s.SessionID() == "" {
		return d.v.ErrorResponse(http.StatusUnauthorized, sessionguard.CodeUnauthorised, "no session", sessionguard.ChallengeBearer)
	}
	err := d.iss.RevokeOthers(ctx, s.Subject(), s.SessionID())
	switch {
	case err == nil:
		return sessionguard.Response{Status: http.StatusNoContent, Header: http.Header{"Cache-Control": {"no-store"}}}
	case errors.Is(err, sessionissuer.ErrNotFound):
		return d.v.ErrorResponse(http.StatusNotFound, "NOT_FOUND", "no such session", sessionguard.ChallengeNone)
	default:
		return d.v.ErrorResponse(http.StatusServiceUnavailable, "STORE_UNAVAILABLE", "try again later",
			sessionguard.ChallengeNone, sessionguard.HeaderField{Name: "Retry-After", Value: d.v.RetryAfter()})
	}
}

// static serves one embedded file for GET and HEAD.
func static(name, contentType string) sessionguard.Endpoint {
	b, err := web.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return sessionguard.EndpointFunc(func(_ context.Context, r sessionguard.Request) sessionguard.Response {
		if r.Method() != http.MethodGet && r.Method() != http.MethodHead {
			return sessionguard.Response{Status: http.StatusMethodNotAllowed, Header: http.Header{"Allow": {"GET, HEAD"}}}
		}
		return sessionguard.Response{Status: http.StatusOK, Header: http.Header{
			"Content-Type":            {contentType},
			"Cache-Control":           {"no-cache"},
			"X-Content-Type-Options":  {"nosniff"},
			"Content-Security-Policy": {"default-src 'self'; connect-src *; frame-ancestors 'none'"},
		}, Body: b}
	})
}

// clientConfig tells the single-page client where the API is and how it
// carries the session: cookies on the API's own origin, headers elsewhere.
func clientConfig(api, mode string) sessionguard.Endpoint {
	b, _ := json.Marshal(map[string]string{"api": api, "mode": mode})
	return script("window.DEMO = " + string(b) + ";\n")
}

func script(body string) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(_ context.Context, _ sessionguard.Request) sessionguard.Response {
		return sessionguard.Response{Status: http.StatusOK, Header: http.Header{
			"Content-Type":  {"text/javascript; charset=utf-8"},
			"Cache-Control": {"no-cache"},
		}, Body: []byte(body)}
	})
}

// CORS as docs/cors.md recommends, hand-written (no dependency) and in front
// of the guard, so that the guard's refusals reach the second origin's
// script too. Only the second origin is allowed. It uses the header
// transfer method, so credentials are not allowed: no other origin's script
// can read an answer to a request that carried the API's cookies.
const (
	corsAllowMethods  = "GET, POST"
	corsAllowHeaders  = "Authorization, Content-Type, Session-Transfer"
	corsExposeHeaders = "Access-Token, Refresh-Token, WWW-Authenticate"
)

// corsFields returns the CORS fields for a request from origin, and
// whether it is a preflight to answer with 204 at once.
func corsFields(allowed, origin, method, preflightMethod string) (fields []sessionguard.HeaderField, preflight bool) {
	if origin == "" || origin != allowed {
		return nil, false
	}
	fields = []sessionguard.HeaderField{
		{Name: "Access-Control-Allow-Origin", Value: allowed},
		{Name: "Vary", Value: "Origin"},
		{Name: "Access-Control-Expose-Headers", Value: corsExposeHeaders},
	}
	if method == http.MethodOptions && preflightMethod != "" {
		fields = append(fields,
			sessionguard.HeaderField{Name: "Access-Control-Allow-Methods", Value: corsAllowMethods},
			sessionguard.HeaderField{Name: "Access-Control-Allow-Headers", Value: corsAllowHeaders},
			sessionguard.HeaderField{Name: "Access-Control-Max-Age", Value: "600"})
		return fields, true
	}
	return fields, false
}

// withCORS is the net/http form, used in front of net/http, Gin and Echo.
func withCORS(allowed string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields, preflight := corsFields(allowed, r.Header.Get("Origin"), r.Method, r.Header.Get("Access-Control-Request-Method"))
		for _, f := range fields {
			w.Header().Set(f.Name, f.Value)
		}
		if preflight {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// appOrigin serves the same single-page client on a second origin, in
// header mode against the API.
func appOrigin(apiBase string) http.Handler {
	mux := http.NewServeMux()
	for _, f := range []struct{ path, file, ct string }{
		{"/{$}", "web/index.html", "text/html; charset=utf-8"},
		{"/app.js", "web/app.js", "text/javascript; charset=utf-8"},
		{"/style.css", "web/style.css", "text/css; charset=utf-8"},
	} {
		mux.Handle(f.path, sessionhttp.Handler(static(f.file, f.ct)))
	}
	mux.Handle("/config.js", sessionhttp.Handler(clientConfig(apiBase, "header")))
	return mux
}

// secondBackend is another service: it verifies the forwarded token itself
// (the API's JWKS over HTTP, the Authorization header only) and answers
// what it saw.
func secondBackend(ctx context.Context, apiBase string, log *slog.Logger) (http.Handler, func(), error) {
	v, err := sessionguard.New(
		sessionguard.WithIssuer(apiBase, sessionguard.RemoteJWKS(apiBase+"/.well-known/jwks.json")),
		sessionguard.WithTransfer(sessionguard.TransferHeader),
		sessionguard.WithLeeway(time.Second),
		sessionguard.WithRealm("second-backend"),
		sessionguard.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := v.Ready(readyCtx); err != nil {
		v.Close()
		return nil, nil, fmt.Errorf("the second backend could not load the API's JWKS: %w", err)
	}
	required, err := sessionhttp.Required(v)
	if err != nil {
		v.Close()
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /whoami", required(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sessionhttp.FromRequest(r)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"service":    "second backend",
			"verified":   true,
			"sub":        s.Subject(),
			"sid":        s.SessionID(),
			"source":     s.Source().String(),
			"expires_at": s.Expiry().Unix(),
		})
	})))
	return mux, func() { v.Close() }, nil
}
