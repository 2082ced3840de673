// Command demo is the whole system on one machine, to try in a browser:
//
//	go run ./examples/demo                    # net/http; Gin, Echo, Fiber with -framework
//	go run ./examples/demo -access-ttl 20s    # watch a transparent refresh
//
// It serves three things on loopback ports:
//
//   - the API (-addr, default 127.0.0.1:8080): a small single-page client
//     (sign in, profile, your devices, sign out) in cookie mode, the session
//     endpoints of the issuer (/auth/refresh, /auth/logout, /auth/sessions,
//     /auth/sessions/revoke), the JWKS, and the demo's own /api routes;
//   - a second origin (-app-addr, default 127.0.0.1:8081) serving the same
//     client in header mode against the API, through CORS;
//   - a second backend (-backend-addr, default 127.0.0.1:8082) that the API
//     calls with sessionguard.NewTransport: it verifies the forwarded token
//     itself, against the API's JWKS.
//
// Sessions live in SQLite in the -data folder (default ./demo-data), with
// nothing else to run. The sign-in form is a development stand-in for the
// application's own login: it trusts any name. See README.md.
//
// SIGINT (Ctrl-C) or SIGTERM shuts the servers down gracefully (requests in
// flight get up to 5 s) and the demo exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address of the API (cookie-mode client)")
	flag.StringVar(&cfg.appAddr, "app-addr", "127.0.0.1:8081", "listen address of the second origin (header-mode client)")
	flag.StringVar(&cfg.backendAddr, "backend-addr", "127.0.0.1:8082", "listen address of the second backend")
	flag.StringVar(&cfg.framework, "framework", "nethttp", "framework of the API: "+strings.Join(frameworkNames(), ", "))
	flag.StringVar(&cfg.data, "data", "demo-data", "folder for the SQLite session store (created if missing)")
	flag.DurationVar(&cfg.accessTTL, "access-ttl", time.Minute, "access token lifetime (at least 1s)")
	flag.BoolVar(&cfg.insecureCookies, "insecure-cookies", false, "leave Secure off the session cookies (only for a plain-http host a browser does not treat as trustworthy; not needed for 127.0.0.1 or localhost)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func frameworkNames() []string {
	names := make([]string, 0, len(frameworks))
	for n := range frameworks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// run serves until ctx ends. What the user should read goes to out (the
// first line is "listening on <API URL>", the last "ready"); logs go to
// logw.
func run(ctx context.Context, cfg config, out, logw io.Writer) error {
	build, ok := frameworks[cfg.framework]
	if !ok {
		return fmt.Errorf("unknown -framework %q (one of %s)", cfg.framework, strings.Join(frameworkNames(), ", "))
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	listen := func(addr string) (net.Listener, string, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, "", err
		}
		lns = append(lns, ln)
		return ln, "http://" + ln.Addr().String(), nil
	}
	apiLn, apiBase, err := listen(cfg.addr)
	if err != nil {
		return err
	}
	appLn, appBase, err := listen(cfg.appAddr)
	if err != nil {
		return err
	}
	backLn, backBase, err := listen(cfg.backendAddr)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "listening on %s\n", apiBase)

	d, err := newDemo(ctx, cfg, apiBase, appBase, backBase, log)
	if err != nil {
		if ctx.Err() != nil { // interrupted while starting: not a failure
			return nil
		}
		return err
	}
	defer d.close()
	api, err := build(d)
	if err != nil {
		return err
	}
	served := make(chan error, 3)
	var running []server
	start := func(s server, ln net.Listener) {
		running = append(running, s)
		go func() { served <- s.Serve(ln) }()
	}
	stopAll := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		for _, s := range running {
			if err := s.Shutdown(sctx); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	start(api, apiLn)

	// The second backend loads the API's JWKS over HTTP, so the API serves first.
	backend, closeBackend, err := secondBackend(ctx, apiBase, log)
	if err != nil {
		_ = stopAll()
		if ctx.Err() != nil { // interrupted while starting: not a failure
			return nil
		}
		return err
	}
	defer closeBackend()
	start(httpServer(backend), backLn)
	start(httpServer(appOrigin(apiBase)), appLn)

	abs, _ := filepath.Abs(filepath.Join(cfg.data, "sessions.db"))
	fmt.Fprintf(out, "\nframework %s, access lifetime %v, sessions in %s\n\n", cfg.framework, cfg.accessTTL, abs)
	fmt.Fprintf(out, "cookie mode (same origin):   %s/\n", apiBase)
	fmt.Fprintf(out, "header mode (second origin): %s/\n", appBase)
	fmt.Fprintf(out, "second backend:              %s/whoami (called by the API)\n\n", backBase)
	fmt.Fprintln(out, "Ctrl-C stops the demo.")
	fmt.Fprintln(out, "ready")

	select {
	case <-ctx.Done():
		return stopAll()
	case err := <-served: // a listener failed under us
		_ = stopAll()
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}
