// Command demo runs a small API protected by sessionguard, with a built-in
// development issuer, so that you can try every outcome with curl:
//
//	go run ./examples/demo            # listens on 127.0.0.1:8080
//	make demo                         # the same, built to bin/demo and exec'd
//
// It prints ready-to-run curl lines (a valid token in the header, the same
// token in a cookie, an expired token, a cross-site POST ...). The issuer's
// key set is served at /.well-known/jwks.json on the same server and the
// verifier fetches it like any remote JWKS. Development only: the signing
// key lives in memory and /dev/token mints tokens for anyone.
//
// SIGINT (Ctrl-C) or SIGTERM shuts the server down gracefully (requests in
// flight get up to 5 s) and the demo exits 0.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. Everything the user should read goes to out.
func run(ctx context.Context, addr string, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	issuer := base
	key := sgtest.NewKey("ES256", "demo-key-1")

	v, err := sessionguard.New(
		sessionguard.WithIssuer(issuer, sessionguard.RemoteJWKS(base+"/.well-known/jwks.json")),
		sessionguard.WithRefreshMarker("refresh_marker"),
		sessionguard.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	)
	if err != nil {
		return err
	}
	defer v.Close()

	mux, err := routes(v, key, issuer)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := v.Ready(readyCtx); err != nil {
		if ctx.Err() != nil { // interrupted while starting: not a failure
			return shutdown(srv)
		}
		_ = shutdown(srv)
		return fmt.Errorf("the JWKS did not load: %w", err)
	}
	printHelp(out, base, key, issuer)

	select {
	case <-ctx.Done():
		return shutdown(srv)
	case err := <-served: // the listener failed under us
		return err
	}
}

// shutdown stops accepting connections and waits up to 5 s for requests in
// flight, so that Ctrl-C or SIGTERM ends the demo promptly and cleanly.
func shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

func routes(v *sessionguard.Verifier, key *sgtest.Key, issuer string) (*http.ServeMux, error) {
	required, err := sessionhttp.Required(v)
	if err != nil {
		return nil, err
	}
	optional, err := sessionhttp.Optional(v)
	if err != nil {
		return nil, err
	}
	admin, err := sessionhttp.Required(v, sessionguard.WithClaims(sessionguard.Includes("roles", "admin")))
	if err != nil {
		return nil, err
	}
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := sessionhttp.FromRequest(r)
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			_, _ = w.Write([]byte(`{"user":null}` + "\n"))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"user": s.Subject(), "source": s.Source().String(), "expires": s.Expiry(),
		})
	})
	mux := http.NewServeMux()
	mux.Handle("/me", required(me))
	mux.Handle("/feed", optional(me))
	mux.Handle("/admin", admin(me))
	mux.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(sgtest.JWKS(key))
	})
	// /dev/token?sub=...&ttl=5m&roles=admin mints a token: development only.
	mux.HandleFunc("/dev/token", func(w http.ResponseWriter, r *http.Request) {
		ttl, err := time.ParseDuration(r.URL.Query().Get("ttl"))
		if err != nil {
			ttl = 5 * time.Minute
		}
		sub := r.URL.Query().Get("sub")
		if sub == "" {
			sub = "user-42"
		}
		c := sgtest.Claims(issuer, sub, ttl)
		if role := r.URL.Query().Get("roles"); role != "" {
			c["roles"] = []string{role}
		}
		_, _ = io.WriteString(w, key.Mint(c)+"\n")
	})
	return mux, nil
}

func printHelp(out io.Writer, base string, key *sgtest.Key, issuer string) {
	valid := key.Mint(sgtest.Claims(issuer, "user-42", time.Hour))
	expired := key.Mint(sgtest.Claims(issuer, "user-42", -time.Minute))
	admin := sgtest.Claims(issuer, "root", time.Hour)
	admin["roles"] = []string{"admin"}
	fmt.Fprintf(out, "listening on %s\n\n", base)
	fmt.Fprintf(out, "# a session from the Authorization header (200)\ncurl -i -H 'Authorization: Bearer %s' %s/me\n\n", valid, base)
	fmt.Fprintf(out, "# the same token as a cookie (200, source cookie)\ncurl -i --cookie 'access_token=%s' %s/me\n\n", valid, base)
	fmt.Fprintf(out, "# no token: 401 UNAUTHORISED on /me, no session on /feed\ncurl -i %s/me\ncurl -i %s/feed\n\n", base, base)
	fmt.Fprintf(out, "# an expired token: 401 TRY_REFRESH_TOKEN, also on the optional /feed\ncurl -i -H 'Authorization: Bearer %s' %s/feed\n\n", expired, base)
	fmt.Fprintf(out, "# only the refresh marker: 401 TRY_REFRESH_TOKEN\ncurl -i --cookie 'refresh_marker=1' %s/feed\n\n", base)
	fmt.Fprintf(out, "# a cross-site POST carrying the cookie: 403 CROSS_ORIGIN_REQUEST\ncurl -i -X POST -H 'Sec-Fetch-Site: cross-site' --cookie 'access_token=%s' %s/me\n\n", valid, base)
	fmt.Fprintf(out, "# /admin needs roles=[admin]: 403 INVALID_CLAIMS, then 200\ncurl -i -H 'Authorization: Bearer %s' %s/admin\ncurl -i -H 'Authorization: Bearer %s' %s/admin\n\n", valid, base, key.Mint(admin), base)
	fmt.Fprintf(out, "# mint more tokens (development only)\ncurl '%s/dev/token?sub=alice&ttl=2m'\n", base)
}
