package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDemo starts the demo and runs its printed curl scenarios as requests.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", pw); pw.Close() }()
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "listening on ") {
		t.Fatalf("first line %q", sc.Text())
	}
	base := strings.TrimPrefix(sc.Text(), "listening on ")
	var header string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "curl -i -H 'Authorization: Bearer ") && strings.HasSuffix(line, "/me") {
			header = strings.TrimSuffix(strings.TrimPrefix(line, "curl -i -H '"), "' "+base+"/me")
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(path, auth string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		if auth != "" {
			k, v, _ := strings.Cut(auth, ": ")
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get("/me", header); got != 200 {
		t.Errorf("valid token: %d", got)
	}
	if got := get("/me", ""); got != 401 {
		t.Errorf("no token: %d", got)
	}
	if got := get("/feed", ""); got != 200 {
		t.Errorf("optional without token: %d", got)
	}
	if got := get("/admin", header); got != 403 {
		t.Errorf("admin without role: %d", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
