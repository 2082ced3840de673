package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/core/conformance"
)

// startLifecycle runs the server in this process (run with the flags) and
// returns its base URL; it is stopped, and must exit 0, at cleanup.
func startLifecycle(framework string, extra ...string) conformance.StartFunc {
	return func(t testing.TB, flags ...string) string {
		t.Helper()
		flags = append(flags, extra...) // a later flag wins
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		done := make(chan int, 1)
		args := append([]string{"-framework", framework, "-addr", "127.0.0.1:0"}, flags...)
		go func() {
			done <- run(ctx, args, pw, &stderr)
			pw.Close()
		}()
		sc := bufio.NewScanner(pr)
		if !sc.Scan() {
			cancel()
			t.Fatalf("no output; exit %d", <-done)
		}
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		t.Cleanup(func() {
			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("exit %d", code)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("no shutdown")
			}
			if s := stderr.String(); strings.Contains(s, "eyJ") {
				t.Errorf("a token reached the log: %s", s)
			}
		})
		return strings.TrimPrefix(sc.Text(), "listening on ")
	}
}

// TestLifecycle runs the lifecycle suite through every framework and
// compares the four transcripts byte for byte (modulo tokens, handles,
// times, header order and Date).
func TestLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps past the grace window")
	}
	frameworks := []string{"nethttp", "gin", "echo", "fiber"}
	transcripts := map[string]conformance.Transcript{}
	for _, fw := range frameworks {
		t.Run(fw, func(t *testing.T) {
			transcripts[fw] = conformance.RunLifecycle(t, startLifecycle(fw))
		})
	}
	for _, fw := range frameworks[1:] {
		if d := transcripts["nethttp"].Diff(transcripts[fw]); d != "" {
			t.Errorf("nethttp and %s answer differently: %s", fw, d)
		}
	}
}

// TestLifecycleSQLite runs the lifecycle suite once over the SQLite store
// (through net/http; the frameworks are compared above over memory).
func TestLifecycleSQLite(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps past the grace window")
	}
	db := filepath.Join(t.TempDir(), "sessions.db")
	conformance.RunLifecycle(t, startLifecycle("nethttp", "-store", "sqlite:"+db))
}
