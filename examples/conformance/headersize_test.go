package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/core/conformance"
)

// answer is what a client saw: a status and a body, or no response at all.
type answer struct {
	Status int
	Body   string
	Err    string // set when no response could be read
}

func (a answer) String() string {
	if a.Err != "" {
		return "no response (" + a.Err + ")"
	}
	return fmt.Sprintf("%d %q", a.Status, a.Body)
}

// TestHeaderSizesAgree starts the server for each framework and sends header
// blocks from 1 KiB to 1 MiB: up to the limit every framework serves the
// request, beyond it every framework gives the same answer (status and body).
func TestHeaderSizesAgree(t *testing.T) {
	fx := conformance.NewFixture(t)
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, fx.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	sizes := []int{1 << 10, 8 << 10, 63 << 10, 64 << 10, 65 << 10, maxHeaderBlock, maxHeaderBlock + 1, 256 << 10, 1 << 20}
	frameworks := []string{"nethttp", "gin", "echo", "fiber"}
	got := map[string][]answer{}
	for _, fw := range frameworks {
		base := startInProcess(t, fw, file)
		for _, n := range sizes {
			got[fw] = append(got[fw], sendHeaderBlock(t, base, n))
		}
	}
	for i, n := range sizes {
		want := got["nethttp"][i]
		if n <= 64<<10 && want.Status != http.StatusOK {
			t.Errorf("%d-byte header block: net/http answered %v, want 200 (up to 64 KiB is accepted)", n, want)
		}
		if n > maxHeaderBlock && want.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%d-byte header block: net/http answered %v, want 431", n, want)
		}
		for _, fw := range frameworks[1:] {
			if a := got[fw][i]; a != want {
				t.Errorf("%d-byte header block: %s answered %v, net/http %v", n, fw, a, want)
			}
		}
	}
}

// startInProcess runs the server for fw until the test ends.
func startInProcess(t *testing.T, fw, jwksFile string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-framework", fw, "-addr", "127.0.0.1:0", "-jwks-file", jwksFile,
			"-issuer", conformance.Issuer, "-audience", conformance.Audience}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("%s: exit %d", fw, code)
		}
		pr.Close()
	})
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatalf("%s: no output", fw)
	}
	return strings.TrimPrefix(sc.Text(), "listening on ")
}

// sendHeaderBlock sends a GET whose header block (request line, fields and
// the blank line) is exactly n bytes, padded with an X-Padding field.
func sendHeaderBlock(t *testing.T, base string, n int) answer {
	t.Helper()
	host := strings.TrimPrefix(base, "http://")
	head := "GET /any/optional HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\nX-Padding: "
	const tail = "\r\n\r\n"
	pad := n - len(head) - len(tail)
	if pad < 0 {
		t.Fatalf("header block of %d bytes is too small", n)
	}
	req := head + strings.Repeat("p", pad) + tail
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	// Write while reading: a server may answer and close before it has read
	// everything.
	go func() { _, _ = io.WriteString(conn, req) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: "GET"})
	if err != nil {
		return answer{Err: err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !bytes.Contains([]byte(err.Error()), []byte("reset")) {
		return answer{Status: resp.StatusCode, Err: err.Error()}
	}
	return answer{Status: resp.StatusCode, Body: string(body)}
}
