// Command conformance serves the conformance routes through any of the four
// sessionguard adapters, so the same black-box tests, load tests and
// benchmarks can be pointed at each framework in turn.
//
//	go build -o conformance ./examples/conformance
//	./conformance -framework gin -addr 127.0.0.1:0 -jwks-url http://127.0.0.1:9999/jwks.json -issuer https://issuer.example
//
// Its one line of standard output is "listening on http://HOST:PORT"; logs go
// to standard error. SIGINT or SIGTERM shut it down gracefully (exit 0); bad
// flags or an unreadable JWKS file end it with a one-line error and exit 2.
// The routes are core/conformance.Routes(); see conformance-server.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/conformance"
)

// maxHeaderBytes is what every framework is configured to accept.
const maxHeaderBytes = 64 << 10

// maxHeaderBlock is the largest request header block (request line, fields
// and the blank line) every framework serves: net/http reads up to
// MaxHeaderBytes plus 4096 bytes of slack, and Fiber's read buffer is set to
// the same size, so that both refuse at the same byte.
const maxHeaderBlock = maxHeaderBytes + 4096

// server is what each framework's mount returns.
type server interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
}

// app is what every framework serves: the verified routes (guard per path,
// answered with conformance.SuccessBody) and the issuing side's endpoints
// (served by the adapter's Handler for every method).
type app struct {
	guards    map[string]*sessionguard.Guard
	endpoints map[string]sessionguard.Endpoint
}

var frameworks = map[string]func(a app) (server, error){
	"nethttp": mountNetHTTP,
	"gin":     mountGin,
	"echo":    mountEcho,
	"fiber":   mountFiber,
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

type options struct {
	framework, addr, jwksURL, jwksFile, audience, cookie, marker string
	issuers, trusted                                             multi
	minInterval                                                  time.Duration

	// The issuing side (conformance-server.md, last section).
	store, storeNamespace, selfIssuer                  string
	accessTTL, sessionTTL, grace, rotation, jwksMaxAge time.Duration
	insecureCookies                                    bool
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.framework, "framework", "", "nethttp, gin, echo or fiber (required)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:0", "listen address")
	fs.StringVar(&o.jwksURL, "jwks-url", "", "remote JWKS URL")
	fs.StringVar(&o.jwksFile, "jwks-file", "", "JWKS document on disk")
	fs.Var(&o.issuers, "issuer", "accepted issuer (repeatable)")
	fs.StringVar(&o.audience, "audience", "", "required audience")
	fs.StringVar(&o.cookie, "cookie", sessionguard.DefaultCookieName, "access-token cookie name")
	fs.StringVar(&o.marker, "refresh-marker", "", "refresh-marker cookie name")
	fs.Var(&o.trusted, "trusted-origin", "origin allowed to send cookie-authenticated unsafe requests (repeatable)")
	fs.DurationVar(&o.minInterval, "jwks-min-interval", sessionguard.DefaultMinRefreshInterval, "least time between two JWKS fetches")
	fs.StringVar(&o.store, "store", "", "memory, sqlite:PATH, postgres:URL or redis:URL: run the issuing side")
	fs.StringVar(&o.storeNamespace, "store-namespace", "", "PostgreSQL schema or Redis key prefix of the store (default the store's own)")
	fs.StringVar(&o.selfIssuer, "self-issuer", "", "iss of issued tokens (default http://HOST:PORT of the listener)")
	fs.DurationVar(&o.accessTTL, "access-ttl", 0, "access-token lifetime (default the library's)")
	fs.DurationVar(&o.sessionTTL, "session-ttl", 0, "session lifetime (default the library's)")
	fs.DurationVar(&o.grace, "refresh-grace", 0, "refresh grace window (default the library's)")
	fs.DurationVar(&o.rotation, "key-rotation", 0, "signing-key rotation period (default the library's)")
	fs.DurationVar(&o.jwksMaxAge, "jwks-max-age", 0, "JWKS Cache-Control max-age (default the library's)")
	fs.BoolVar(&o.insecureCookies, "insecure-cookies", false, "leave Secure off the cookies (plain-http browser tests only)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case frameworks[o.framework] == nil:
		return o, errors.New("-framework must be one of nethttp, gin, echo, fiber")
	case o.jwksURL != "" && o.jwksFile != "":
		return o, errors.New("at most one of -jwks-url and -jwks-file")
	case o.store == "" && o.jwksURL == "" && o.jwksFile == "":
		return o, errors.New("one of -jwks-url and -jwks-file is required (or -store)")
	case o.store == "" && (o.selfIssuer != "" || o.storeNamespace != "" || o.accessTTL != 0 || o.sessionTTL != 0 || o.grace != 0 ||
		o.rotation != 0 || o.jwksMaxAge != 0 || o.insecureCookies):
		return o, errors.New("the issuing side's flags need -store")
	case len(o.issuers) > 0 && o.jwksURL == "" && o.jwksFile == "":
		return o, errors.New("-issuer needs -jwks-url or -jwks-file")
	case o.accessTTL < 0 || o.sessionTTL < 0 || o.grace < 0 || o.rotation < 0 || o.jwksMaxAge < 0:
		return o, errors.New("durations must be positive")
	}
	if o.store != "" {
		kind, _, err := storeSpec(o.store)
		if err != nil {
			return o, err
		}
		if err := checkNamespace(kind, o.storeNamespace); err != nil {
			return o, err
		}
	}
	return o, nil
}

func verifier(o options, is *issuing, log *slog.Logger) (*sessionguard.Verifier, error) {
	var src *sessionguard.KeySource
	switch {
	case o.jwksFile == "" && o.jwksURL == "":
		// -store alone: only the issuer's own tokens.
	case o.jwksFile != "":
		doc, err := os.ReadFile(o.jwksFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read -jwks-file: %v", errors.Unwrap(err))
		}
		src = sessionguard.StaticJWKS(doc)
	default:
		src = sessionguard.RemoteJWKS(o.jwksURL, sessionguard.WithMinRefreshInterval(o.minInterval),
			sessionguard.WithRefreshInterval(max(o.minInterval, sessionguard.DefaultRefreshInterval)),
			sessionguard.WithMaxRefreshInterval(max(o.minInterval, sessionguard.DefaultMaxRefreshInterval)))
	}
	opts := []sessionguard.Option{sessionguard.WithCookie(o.cookie), sessionguard.WithLogger(log)}
	if is != nil {
		// The issuer's own tokens, through its key source in process; its
		// options also name the cookies (the -cookie and -refresh-marker
		// names were given to the issuer) and the audience.
		opts = append(opts, is.iss.VerifierOptions()...)
	}
	if len(o.issuers) == 0 && src != nil && is == nil {
		opts = append(opts, sessionguard.WithKeySource(src))
	}
	for _, iss := range o.issuers {
		if src == nil {
			return nil, errors.New("-issuer needs -jwks-url or -jwks-file")
		}
		opts = append(opts, sessionguard.WithIssuer(iss, src))
	}
	if o.audience != "" && is == nil {
		opts = append(opts, sessionguard.WithAudience(o.audience))
	}
	if o.marker != "" && is == nil {
		opts = append(opts, sessionguard.WithRefreshMarker(o.marker))
	}
	if len(o.trusted) > 0 {
		opts = append(opts, sessionguard.WithTrustedOrigins(o.trusted...))
	}
	return sessionguard.New(opts...)
}

// guards builds each verified route's guard once; with the issuing side,
// also /revocation/required (/any/required plus the revocation check).
func guards(v *sessionguard.Verifier, is *issuing) (map[string]*sessionguard.Guard, error) {
	m := map[string]*sessionguard.Guard{}
	for _, rt := range conformance.Routes() {
		if !rt.Verify {
			continue
		}
		g, err := rt.Guard(v)
		if err != nil {
			return nil, err
		}
		m[rt.Path] = g
	}
	if is != nil {
		g, err := v.Required(sessionguard.WithTransfer(sessionguard.TransferAny),
			sessionguard.WithRevocationCheck(is.iss.Revocations()))
		if err != nil {
			return nil, err
		}
		m["/revocation/required"] = g
	}
	return m, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "conformance:", strings.ReplaceAll(err.Error(), "\n", " "))
		return code
	}
	o, err := parse(args)
	if err != nil {
		return fail(2, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fail(1, err)
	}
	srv, cleanup, err := build(o, "http://"+ln.Addr().String(), log)
	if err != nil {
		_ = ln.Close()
		return fail(2, err)
	}
	defer cleanup()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	select {
	case <-ctx.Done():
	case err := <-served:
		return fail(1, err)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fail(1, err)
	}
	return 0
}

// build makes the verifier, the issuing side (with -store) and the
// framework's server. self is the listener's URL.
func build(o options, self string, log *slog.Logger) (server, func(), error) {
	var is *issuing
	var err error
	if o.store != "" {
		if is, err = newIssuer(o, self, log); err != nil {
			return nil, nil, err
		}
	}
	cleanup := func() {
		if is != nil {
			_ = is.iss.Close()
			is.close()
		}
	}
	v, err := verifier(o, is, log)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	done := func() { _ = v.Close(); cleanup() }
	if is != nil && o.jwksURL == "" {
		// The issuer's keys are loaded: the verifier's first load of them
		// is in process and immediate. (A remote set is never waited for:
		// the keys-down cases need the server up without it.)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := v.Ready(ctx)
		cancel()
		if err != nil {
			done()
			return nil, nil, err
		}
	}
	a := app{}
	if a.guards, err = guards(v, is); err != nil {
		done()
		return nil, nil, err
	}
	if is != nil {
		if a.endpoints, err = is.endpoints(v, o.insecureCookies); err != nil {
			done()
			return nil, nil, err
		}
	}
	srv, err := frameworks[o.framework](a)
	if err != nil {
		done()
		return nil, nil, err
	}
	return srv, done, nil
}
