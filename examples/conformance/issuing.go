package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// The issuing side of conformance-server.md (docs/lifecycle.md): with
// -store, the server also starts, refreshes and revokes sessions, and the
// verified routes verify the tokens it issues.

// storeSpec splits the -store flag: "memory", "sqlite:PATH", "postgres:URL"
// or "redis:URL" (a bare "postgres://…" or "redis://…" URL is accepted too).
// It checks the syntax only; [openStore] connects.
func storeSpec(spec string) (kind, arg string, err error) {
	kind, arg, _ = strings.Cut(spec, ":")
	if strings.HasPrefix(arg, "//") && (kind == "postgres" || kind == "postgresql" || kind == "redis" || kind == "rediss") {
		arg = spec // the URL itself
		if kind == "postgresql" {
			kind = "postgres"
		}
		if kind == "rediss" {
			kind = "redis"
		}
	}
	switch {
	case kind == "memory" && arg == "":
		return kind, "", nil
	case kind == "memory":
		return "", "", errors.New("-store memory takes no argument")
	case (kind == "sqlite" || kind == "postgres" || kind == "redis") && arg != "":
		return kind, arg, nil
	}
	return "", "", errors.New("-store must be memory, sqlite:PATH, postgres:URL or redis:URL")
}

// openStore opens and migrates the -store flag's store. A connection
// failure is reported without the driver's text for postgres and redis (it
// may hold the URL's password).
//
// namespace (-store-namespace) is the PostgreSQL schema or the Redis key
// prefix, so that several servers and test runs share one database apart;
// empty is the store's default (public, "sg:").
func openStore(spec, namespace string) (sessionissuer.Store, func(), error) {
	kind, arg, err := storeSpec(spec)
	if err != nil {
		return nil, nil, err
	}
	if err := checkNamespace(kind, namespace); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch kind {
	case "sqlite":
		st, err := sqlitestore.New(arg)
		if err == nil {
			if err = st.Migrate(ctx); err != nil {
				_ = st.Close()
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("-store sqlite: %v", err)
		}
		return st, func() { _ = st.Close() }, nil
	case "postgres":
		var opts []pgstore.Option
		if namespace != "" {
			opts = append(opts, pgstore.WithSchema(namespace))
		}
		st, err := pgstore.New(ctx, arg, opts...)
		if err == nil {
			if err = st.Migrate(ctx); err != nil {
				st.Close()
			}
		}
		if err != nil {
			return nil, nil, errors.New("-store postgres: cannot connect to the database or migrate it")
		}
		return st, st.Close, nil
	case "redis":
		// go-redis logs dial failures to the process's stderr by itself;
		// the server's stderr is its own (one line on a bad start).
		redis.SetLogger(quietRedis{})
		var opts []redisstore.Option
		if namespace != "" {
			opts = append(opts, redisstore.WithPrefix(namespace))
		}
		st, err := redisstore.New(ctx, arg, opts...)
		if err == nil {
			if err = st.Migrate(ctx); err != nil {
				_ = st.Close()
			}
		}
		if err != nil {
			return nil, nil, errors.New("-store redis: cannot connect to the server or migrate it")
		}
		return st, func() { _ = st.Close() }, nil
	}
	return sessionissuer.NewMemoryStore(), func() {}, nil
}

// checkNamespace refuses -store-namespace for a store that has none.
func checkNamespace(kind, namespace string) error {
	if namespace != "" && kind != "postgres" && kind != "redis" {
		return errors.New("-store-namespace is for the postgres and redis stores only")
	}
	return nil
}

// quietRedis drops go-redis' internal log lines (they may name the server
// and repeat driver errors; the store reports failures through its calls).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// issuing is the issuing side's state.
type issuing struct {
	iss    *sessionissuer.Issuer
	faults *faultStore
	close  func() // closes the store

	mu     sync.Mutex
	thefts []theft
}

type theft struct {
	SID string `json:"sid"`
	Sub string `json:"sub"`
}

// newIssuer builds the issuer over the -store store, wrapped for fault
// injection. self is the default "iss" (http://HOST:PORT of the listener).
func newIssuer(o options, self string, log *slog.Logger) (*issuing, error) {
	st, closeStore, err := openStore(o.store, o.storeNamespace)
	if err != nil {
		return nil, err
	}
	is := &issuing{faults: &faultStore{Store: st}, close: closeStore}
	iss := o.selfIssuer
	if iss == "" {
		iss = self
	}
	marker := o.marker
	if marker == "" {
		marker = sessionissuer.DefaultMarkerCookie
	}
	opts := []sessionissuer.Option{
		sessionissuer.WithIssuer(iss),
		sessionissuer.WithLogger(log),
		sessionissuer.WithCookieNames(o.cookie, sessionissuer.DefaultRefreshCookie, marker),
		sessionissuer.WithTheftHook(func(_ context.Context, t sessionissuer.Theft) {
			is.mu.Lock()
			is.thefts = append(is.thefts, theft{SID: t.Handle, Sub: t.Subject})
			is.mu.Unlock()
		}),
	}
	if o.audience != "" {
		opts = append(opts, sessionissuer.WithAudience(o.audience))
	}
	for _, d := range []struct {
		set bool
		opt func() sessionissuer.Option
	}{
		{o.accessTTL > 0, func() sessionissuer.Option { return sessionissuer.WithAccessTTL(o.accessTTL) }},
		{o.sessionTTL > 0, func() sessionissuer.Option { return sessionissuer.WithSessionTTL(o.sessionTTL) }},
		{o.grace > 0, func() sessionissuer.Option { return sessionissuer.WithRefreshGrace(o.grace) }},
		{o.rotation > 0, func() sessionissuer.Option { return sessionissuer.WithKeyRotation(o.rotation) }},
		{o.jwksMaxAge > 0, func() sessionissuer.Option { return sessionissuer.WithJWKSMaxAge(o.jwksMaxAge) }},
	} {
		if d.set {
			opts = append(opts, d.opt())
		}
	}
	is.iss, err = sessionissuer.New(is.faults, opts...)
	if err != nil {
		closeStore()
		return nil, err
	}
	// The verified routes verify issued tokens from the first request on:
	// wait for the signing keys before the verifier is built.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := is.iss.Ready(ctx); err != nil {
		_ = is.iss.Close()
		closeStore()
		return nil, err
	}
	return is, nil
}

// Mount bases and transfer methods of conformance-server.md.
var mounts = []struct {
	login, base string
	transfer    sessionguard.Transfer
	logout      bool
}{
	{"/login", "/auth", sessionguard.TransferAny, true},
	{"/header/login", "/header/auth", sessionguard.TransferHeader, false},
	{"/cookie/login", "/cookie/auth", sessionguard.TransferCookie, true},
}

// endpoints returns the issuing side's routes, every one an endpoint served
// by the adapter's Handler for every method.
func (is *issuing) endpoints(v *sessionguard.Verifier, insecure bool) (map[string]sessionguard.Endpoint, error) {
	eps := map[string]sessionguard.Endpoint{}
	var anyMount *sessionissuer.Mount
	for _, mt := range mounts {
		opts := []sessionissuer.HTTPOption{sessionissuer.WithBasePath(mt.base), sessionissuer.WithHTTPTransfer(mt.transfer)}
		if insecure {
			opts = append(opts, sessionissuer.WithInsecureCookies())
		}
		m, err := is.iss.Mount(v, opts...)
		if err != nil {
			return nil, err
		}
		eps[mt.login] = is.login(v, m)
		eps[mt.base+"/refresh"] = m.Refresh()
		if mt.logout {
			eps[mt.base+"/logout"] = m.Logout()
		}
		if mt.transfer == sessionguard.TransferAny {
			anyMount = m
			eps[mt.base+"/sessions"] = m.Sessions()
			eps[mt.base+"/sessions/revoke"] = m.RevokeSession()
		}
	}
	required, err := v.Required(sessionguard.WithTransfer(sessionguard.TransferAny))
	if err != nil {
		return nil, err
	}
	eps["/payload"] = is.payload(v, required, anyMount)
	eps["/admin/revoke-all"] = is.revokeAll(v)
	eps["/.well-known/jwks.json"] = is.iss.JWKSEndpoint(v)
	eps["/test/thefts"] = is.listThefts(v)
	eps["/test/store"] = is.storeFaults(v)
	return eps, nil
}

const maxBody = sessionissuer.MaxRequestBody

const msgBadBody = "The request body is not valid."

func methodNotAllowed(v *sessionguard.Verifier, allow string) sessionguard.Response {
	return v.ErrorResponse(http.StatusMethodNotAllowed, sessionissuer.CodeMethodNotAllowed, "Method not allowed.",
		sessionguard.ChallengeNone, sessionguard.HeaderField{Name: "Allow", Value: allow})
}

func badRequest(v *sessionguard.Verifier) sessionguard.Response {
	return v.ErrorResponse(http.StatusBadRequest, sessionguard.CodeInvalidRequest, msgBadBody, sessionguard.ChallengeInvalidRequest)
}

func noContent() sessionguard.Response {
	return sessionguard.Response{Status: http.StatusNoContent, Header: http.Header{"Cache-Control": {"no-store"}}}
}

// decode reads a POST body into dst: exactly one JSON value, numbers kept
// as written.
func decode(r sessionguard.Request, dst any) bool {
	body, err := sessionguard.ReadBody(r, maxBody)
	if err != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(dst) != nil {
		return false
	}
	_, err = dec.Token()
	return err != nil // nothing after the value
}

// login is the test login: {"sub","payload","label"} → the create response.
func (is *issuing) login(v *sessionguard.Verifier, m *sessionissuer.Mount) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(ctx context.Context, r sessionguard.Request) sessionguard.Response {
		if r.Method() != http.MethodPost {
			return methodNotAllowed(v, http.MethodPost)
		}
		var in struct {
			Sub     string         `json:"sub"`
			Payload map[string]any `json:"payload"`
			Label   string         `json:"label"`
		}
		if !decode(r, &in) {
			return badRequest(v)
		}
		return m.Create(ctx, r, in.Sub, in.Payload, in.Label)
	})
}

// payload is UpdatePayload behind a required session, written back through
// the request's transfer method.
func (is *issuing) payload(v *sessionguard.Verifier, g *sessionguard.Guard, m *sessionissuer.Mount) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(ctx context.Context, r sessionguard.Request) sessionguard.Response {
		if r.Method() != http.MethodPost {
			return methodNotAllowed(v, http.MethodPost)
		}
		s, err := g.Check(ctx, r)
		if err != nil {
			return g.Render(err)
		}
		var p map[string]any
		if s == nil || !decode(r, &p) || p == nil {
			return badRequest(v)
		}
		return m.UpdatePayload(ctx, s, p)
	})
}

// revokeAll is the test-only logout everywhere: {"sub"} → 204.
func (is *issuing) revokeAll(v *sessionguard.Verifier) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(ctx context.Context, r sessionguard.Request) sessionguard.Response {
		if r.Method() != http.MethodPost {
			return methodNotAllowed(v, http.MethodPost)
		}
		var in struct {
			Sub string `json:"sub"`
		}
		if !decode(r, &in) {
			return badRequest(v)
		}
		if err := is.iss.RevokeAll(ctx, in.Sub); err != nil {
			if errors.Is(err, sessionissuer.ErrStoreUnavailable) {
				return v.ErrorResponse(http.StatusServiceUnavailable, sessionissuer.CodeStoreUnavailable,
					"Sessions are temporarily unavailable.", sessionguard.ChallengeNone,
					sessionguard.HeaderField{Name: "Retry-After", Value: v.RetryAfter()})
			}
			return badRequest(v)
		}
		return noContent()
	})
}

// listThefts answers every theft the hook saw.
func (is *issuing) listThefts(v *sessionguard.Verifier) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(_ context.Context, r sessionguard.Request) sessionguard.Response {
		if r.Method() != http.MethodGet {
			return methodNotAllowed(v, http.MethodGet)
		}
		is.mu.Lock()
		out := struct {
			Thefts []theft `json:"thefts"`
		}{append([]theft{}, is.thefts...)}
		is.mu.Unlock()
		b, _ := json.Marshal(out)
		return sessionguard.Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {sessionguard.ContentTypeJSON}}, Body: b}
	})
}

// storeFaults turns the fault injection on and off: {"fail":true|false}.
func (is *issuing) storeFaults(v *sessionguard.Verifier) sessionguard.Endpoint {
	return sessionguard.EndpointFunc(func(_ context.Context, r sessionguard.Request) sessionguard.Response {
		if r.Method() != http.MethodPost {
			return methodNotAllowed(v, http.MethodPost)
		}
		var in struct {
			Fail *bool `json:"fail"`
		}
		if !decode(r, &in) || in.Fail == nil {
			return badRequest(v)
		}
		is.faults.failing.Store(*in.Fail)
		return noContent()
	})
}
