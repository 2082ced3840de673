package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/core/conformance"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// buildServer compiles the command once per test binary.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "conformance")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// TestServer starts the real binary for every framework and runs the whole
// conformance case table against it, black-box.
func TestServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildServer(t)
	fx := conformance.NewFixture(t)
	jwks := sgtest.NewJWKSServer()
	jwks.SetBody(fx.JWKS())
	t.Cleanup(jwks.Close)
	cases := fx.Cases()
	var ready conformance.Case
	for _, c := range cases {
		if c.Name == "seed004/any/required/valid/header-only" {
			ready = c
		}
	}
	for _, fw := range []string{"nethttp", "gin", "echo", "fiber"} {
		t.Run(fw, func(t *testing.T) {
			cmd := exec.Command(bin, "-framework", fw, "-addr", "127.0.0.1:0",
				"-jwks-url", jwks.URL(), "-issuer", conformance.Issuer, "-audience", conformance.Audience,
				"-cookie", conformance.CookieName, "-refresh-marker", conformance.MarkerName,
				"-trusted-origin", conformance.TrustedOrigin, "-jwks-min-interval", "1s")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			out := bufio.NewScanner(stdout)
			if !out.Scan() {
				t.Fatalf("no output; stderr: %s", stderr.String())
			}
			line := out.Text()
			if !strings.HasPrefix(line, "listening on http://127.0.0.1:") {
				t.Fatalf("first line %q", line)
			}
			base := strings.TrimPrefix(line, "listening on ")
			deadline := time.Now().Add(10 * time.Second)
			for {
				resp, _, err := conformance.Send(base, ready)
				if err == nil && resp.StatusCode == http.StatusOK {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("server not ready: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			for _, tc := range cases {
				t.Run(tc.Name, func(t *testing.T) { conformance.Check(t, base, tc) })
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			var rest []string
			for out.Scan() {
				rest = append(rest, out.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("exit after SIGTERM: %v; stderr: %s", err, stderr.String())
			}
			if len(rest) > 0 {
				t.Errorf("more than one line on stdout: %q", rest)
			}
		})
	}
}

func TestBadInvocations(t *testing.T) {
	for name, args := range map[string][]string{
		"no-framework":        {"-jwks-file", "x"},
		"unknown-framework":   {"-framework", "martini", "-jwks-file", "x"},
		"unknown-flag":        {"-framework", "gin", "-nope"},
		"no-jwks":             {"-framework", "gin"},
		"both-jwks":           {"-framework", "gin", "-jwks-file", "x", "-jwks-url", "https://a/b"},
		"unreadable-jwks":     {"-framework", "nethttp", "-jwks-file", filepath.Join(t.TempDir(), "missing.json")},
		"https-only":          {"-framework", "nethttp", "-jwks-url", "http://example.com/jwks.json"},
		"bad-trusted-origin":  {"-framework", "echo", "-jwks-url", "https://a/b", "-trusted-origin", "not an origin"},
		"bad-min-interval":    {"-framework", "echo", "-jwks-url", "https://a/b", "-jwks-min-interval", "soon"},
		"store-unknown":       {"-framework", "gin", "-store", "mongo:x"},
		"store-memory-arg":    {"-framework", "gin", "-store", "memory:x"},
		"store-sqlite-bad":    {"-framework", "gin", "-store", "sqlite:/nonexistent/dir/x.db"},
		"store-sqlite-empty":  {"-framework", "gin", "-store", "sqlite:"},
		"namespace-memory":    {"-framework", "gin", "-store", "memory", "-store-namespace", "t1"},
		"namespace-no-store":  {"-framework", "gin", "-jwks-file", "x", "-store-namespace", "t1"},
		"namespace-bad-pg":    {"-framework", "gin", "-store", "postgres:postgres://u@127.0.0.1:1/db", "-store-namespace", "no-dashes"},
		"store-postgres-down": {"-framework", "gin", "-store", "postgres:postgres://u:pw@127.0.0.1:1/db?connect_timeout=2"},
		"store-redis-down":    {"-framework", "gin", "-store", "redis://:pw@127.0.0.1:1/0"},
		"issuing-no-store":    {"-framework", "gin", "-jwks-file", "x", "-refresh-grace", "1s"},
		"negative-ttl":        {"-framework", "gin", "-store", "memory", "-access-ttl", "-1s"},
		"ttl-order":           {"-framework", "gin", "-store", "memory", "-access-ttl", "2h", "-session-ttl", "1h"},
		"issuer-no-jwks":      {"-framework", "gin", "-store", "memory", "-issuer", "https://other"},
	} {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: %q", stdout.String())
			}
			if lines := strings.Count(strings.TrimRight(stderr.String(), "\n"), "\n"); lines != 0 || stderr.Len() == 0 {
				t.Errorf("stderr is not one line: %q", stderr.String())
			}
		})
	}
}

// TestJWKSFile serves from a key set on disk, in process.
func TestJWKSFile(t *testing.T) {
	fx := conformance.NewFixture(t)
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, fx.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw, _ := os.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-framework", "nethttp", "-jwks-file", file, "-issuer", conformance.Issuer,
			"-audience", conformance.Audience, "-refresh-marker", conformance.MarkerName,
			"-trusted-origin", conformance.TrustedOrigin}, pw, &bytes.Buffer{})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatal("no output")
	}
	base := strings.TrimPrefix(sc.Text(), "listening on ")
	for _, tc := range fx.Cases()[:40] {
		t.Run(tc.Name, func(t *testing.T) { conformance.Check(t, base, tc) })
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}
