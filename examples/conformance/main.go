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

var frameworks = map[string]func(v *sessionguard.Verifier) (server, error){
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
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case frameworks[o.framework] == nil:
		return o, errors.New("-framework must be one of nethttp, gin, echo, fiber")
	case (o.jwksURL == "") == (o.jwksFile == ""):
		return o, errors.New("exactly one of -jwks-url and -jwks-file is required")
	}
	return o, nil
}

func verifier(o options, log *slog.Logger) (*sessionguard.Verifier, error) {
	var src *sessionguard.KeySource
	if o.jwksFile != "" {
		doc, err := os.ReadFile(o.jwksFile)
		if err != nil {
			return nil, fmt.Errorf("cannot read -jwks-file: %v", errors.Unwrap(err))
		}
		src = sessionguard.StaticJWKS(doc)
	} else {
		src = sessionguard.RemoteJWKS(o.jwksURL, sessionguard.WithMinRefreshInterval(o.minInterval),
			sessionguard.WithRefreshInterval(max(o.minInterval, sessionguard.DefaultRefreshInterval)),
			sessionguard.WithMaxRefreshInterval(max(o.minInterval, sessionguard.DefaultMaxRefreshInterval)))
	}
	opts := []sessionguard.Option{sessionguard.WithCookie(o.cookie), sessionguard.WithLogger(log)}
	if len(o.issuers) == 0 {
		opts = append(opts, sessionguard.WithKeySource(src))
	}
	for _, iss := range o.issuers {
		opts = append(opts, sessionguard.WithIssuer(iss, src))
	}
	if o.audience != "" {
		opts = append(opts, sessionguard.WithAudience(o.audience))
	}
	if o.marker != "" {
		opts = append(opts, sessionguard.WithRefreshMarker(o.marker))
	}
	if len(o.trusted) > 0 {
		opts = append(opts, sessionguard.WithTrustedOrigins(o.trusted...))
	}
	return sessionguard.New(opts...)
}

// guards builds each verified route's guard once.
func guards(v *sessionguard.Verifier) (map[string]*sessionguard.Guard, error) {
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
	v, err := verifier(o, log)
	if err != nil {
		return fail(2, err)
	}
	defer v.Close()
	srv, err := frameworks[o.framework](v)
	if err != nil {
		return fail(2, err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fail(1, err)
	}
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
