// Command load drives the conformance server (examples/conformance) over
// loopback, one framework at a time, and prints requests/s and latency
// percentiles for three scenarios:
//
//   - healthz: GET /healthz carrying the same Authorization header, not
//     verified (the ceiling: same bytes on the wire, no verification);
//   - one-token: GET /any/required with one valid token (verified-token
//     cache warm after the first request);
//   - distinct-tokens: GET /any/required with a fresh valid token on every
//     request (every request is a cache miss and a full signature check).
//
// It serves its own JWKS on loopback, starts the server binary given with
// -server for each framework, runs each scenario for -duration with
// -concurrency keep-alive connections, and stops the server with SIGTERM.
// Everything is bounded in time and stays on 127.0.0.1.
//
//	go build -o /tmp/conformance ./examples/conformance
//	go run ./bench/cmd/load -server /tmp/conformance
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sessionguard/sessionguard/core/sgtest"
)

const issuer = "https://issuer.load.test"

type result struct {
	framework, scenario string
	requests, errors    int
	elapsed             time.Duration
	p50, p99            time.Duration
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func main() {
	server := flag.String("server", "", "path to the built examples/conformance binary (required)")
	fws := flag.String("frameworks", "nethttp,gin,echo,fiber", "comma-separated frameworks")
	duration := flag.Duration("duration", 3*time.Second, "time per scenario")
	conc := flag.Int("concurrency", 8, "concurrent keep-alive connections")
	distinct := flag.Int("distinct", 40000, "tokens minted for the distinct-tokens scenario (a round stops early when its share runs out)")
	rounds := flag.Int("rounds", 3, "rounds of all scenarios per framework; the median round of each scenario is reported")
	flag.Parse()
	if *server == "" || *duration <= 0 || *duration > time.Minute || *conc <= 0 || *conc > 256 || *rounds < 1 || *rounds > 9 {
		fmt.Fprintln(os.Stderr, "load: -server is required; -duration at most 1m; -concurrency 1..256; -rounds 1..9")
		os.Exit(2)
	}
	key := sgtest.NewKey("ES256", "load-key")
	jwks := sgtest.NewJWKSServer(key)
	defer jwks.Close()
	one := key.Mint(sgtest.Claims(issuer, "load-user", time.Hour))
	fmt.Fprintf(os.Stderr, "minting %d tokens...\n", *distinct)
	tokens := make([]string, *distinct)
	for i := range tokens {
		tokens[i] = key.Mint(sgtest.Claims(issuer, fmt.Sprintf("user-%d", i), time.Hour))
	}

	var results []result
	for _, fw := range strings.Split(*fws, ",") {
		rs, err := runFramework(*server, fw, jwks.URL(), one, tokens, *duration, *conc, *rounds)
		if err != nil {
			fmt.Fprintf(os.Stderr, "load: %s: %v\n", fw, err)
			os.Exit(1)
		}
		results = append(results, rs...)
	}
	printTable(os.Stdout, results, *duration, *conc, *rounds)
}

func runFramework(bin, fw, jwksURL, one string, tokens []string, d time.Duration, conc, rounds int) ([]result, error) {
	cmd := exec.Command(bin, "-framework", fw, "-addr", "127.0.0.1:0", "-jwks-url", jwksURL, "-issuer", issuer)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		return nil, errors.New("server printed nothing")
	}
	base := strings.TrimPrefix(sc.Text(), "listening on ")
	go func() { _, _ = io.Copy(io.Discard, out) }()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conc, MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true,
	}}
	defer client.CloseIdleConnections()
	// Wait until the key set is loaded.
	deadline := time.Now().Add(10 * time.Second)
	for doReq(client, base+"/any/required", one) != http.StatusOK {
		if time.Now().After(deadline) {
			return nil, errors.New("server did not become ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var next, limit atomic.Int64
	scenarios := []struct {
		name, path string
		token      func() (string, bool)
	}{
		// The same Authorization header goes to /healthz, unverified, so the
		// ratio isolates the cost of verification from that of the bytes.
		{"healthz", "/healthz", func() (string, bool) { return one, true }},
		{"one-token", "/any/required", func() (string, bool) { return one, true }},
		{"distinct-tokens", "/any/required", func() (string, bool) {
			i := next.Add(1) - 1
			if i >= limit.Load() {
				return "", false
			}
			return tokens[i], true
		}},
	}
	// Rounds interleave the scenarios so that a burst of noise on this
	// shared machine does not land on one scenario only.
	per := make([][]result, len(scenarios))
	for round := range rounds {
		next.Store(int64(round * len(tokens) / rounds))
		limit.Store(int64((round + 1) * len(tokens) / rounds))
		for i, s := range scenarios {
			// Warm up connections (and, for one-token, the cache).
			drive(client, base+s.path, func() (string, bool) { return one, true }, 200*time.Millisecond, conc)
			r := drive(client, base+s.path, s.token, d, conc)
			r.framework, r.scenario = fw, s.name
			per[i] = append(per[i], r)
			fmt.Fprintf(os.Stderr, "%s %s round %d: %.0f req/s, p50 %v, p99 %v, %d errors\n", fw, s.name, round+1, r.rps(), r.p50, r.p99, r.errors)
		}
	}
	var rs []result
	for _, runs := range per {
		slices.SortFunc(runs, func(a, b result) int { return int(a.rps() - b.rps()) })
		rs = append(rs, runs[len(runs)/2])
	}
	return rs, nil
}

func doReq(c *http.Client, url, token string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// drive runs conc workers until d has passed or token() runs out.
func drive(c *http.Client, url string, token func() (string, bool), d time.Duration, conc int) result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				tok, ok := token()
				if !ok {
					break
				}
				t0 := time.Now()
				if doReq(c, url, tok) != http.StatusOK {
					errs.Add(1)
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := result{requests: len(all), errors: int(errs.Load()), elapsed: time.Since(start)}
	if len(all) > 0 {
		slices.Sort(all)
		r.p50 = all[len(all)/2]
		r.p99 = all[len(all)*99/100]
	}
	return r
}

func printTable(w io.Writer, rs []result, d time.Duration, conc, rounds int) {
	fmt.Fprintf(w, "\nLoad over loopback: median of %d rounds of %v per scenario, %d connections, server and load generator on one %d-core machine.\n\n", rounds, d, conc, nproc())
	fmt.Fprintln(w, "| framework | scenario | req/s | p50 | p99 | errors | ÷ healthz |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|")
	health := map[string]float64{}
	for _, r := range rs {
		if r.scenario == "healthz" {
			health[r.framework] = r.rps()
		}
	}
	for _, r := range rs {
		ratio := "1.00"
		if r.scenario != "healthz" && health[r.framework] > 0 {
			ratio = fmt.Sprintf("%.2f", r.rps()/health[r.framework])
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %v | %v | %d | %s |\n", r.framework, r.scenario, r.rps(),
			r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors, ratio)
	}
}

func nproc() int { return runtime.NumCPU() }
