package main

// Store faults seen from outside (docs/stores.md, "Faults"): a store server
// of the test's own is stopped, killed mid-storm or paused under a running
// conformance server. A store outage is never a logout (lifecycle §6:
// 503 with Retry-After, nothing cleared), verification goes on, an answered
// refresh is never lost, and a hung store is bounded by the issuer's store
// timeout.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// ownStore is a store server the test may take down and bring back.
type ownStore struct {
	name            string
	flag            string // the -store value
	down, up, crash func()
	pause, resume   func()
}

// ownStores start, for each store, a server of the test's own with durable
// settings: PostgreSQL's defaults (fsync on, synchronous_commit on), and
// Redis with an append-only file fsynced at every write (without it a
// restarted Redis has lost everything, answered refreshes included).
var ownStores = []struct {
	name  string
	start func(t *testing.T) ownStore
}{
	{"postgres", func(t *testing.T) ownStore {
		needPostgres(t)
		pg := startOwnPostgres(t)
		return ownStore{name: "postgres", flag: "postgres:" + pg.url(), down: pg.stop, up: pg.start,
			crash: pg.kill, pause: pg.pause, resume: pg.resume}
	}},
	{"redis", func(t *testing.T) ownStore {
		needRedis(t)
		r := startOwnRedis(t, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
		return ownStore{name: "redis", flag: "redis:" + r.url(), down: r.kill, up: r.start,
			crash: r.kill, pause: r.pause, resume: r.resume}
	}},
}

func eachOwnStore(t *testing.T, f func(t *testing.T, st ownStore)) {
	for _, s := range ownStores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f(t, s.start(t))
		})
	}
}

// storeTexts are fragments of driver and network errors that must never
// reach a response.
var storeTexts = []string{"dial", "refused", "127.0.0.1", "redis", "postgres", "pgx", "SQLSTATE", "context deadline", "i/o timeout"}

// check503 asserts lifecycle §6's STORE_UNAVAILABLE: 503 with Retry-After,
// nothing set or cleared (no Set-Cookie at all, no token header, not even
// an empty one), no store text in the body.
func check503(t *testing.T, what string, r reply) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable || r.code() != "STORE_UNAVAILABLE" || r.header.Get("Retry-After") == "" {
		t.Errorf("%s: %v (Retry-After %q), want 503 STORE_UNAVAILABLE with Retry-After", what, r, r.header.Get("Retry-After"))
	}
	for _, c := range r.header.Values("Set-Cookie") {
		t.Errorf("%s: Set-Cookie %q on a store outage (Max-Age=0 would be a logout)", what, c)
	}
	for _, h := range []string{"Access-Token", "Refresh-Token"} {
		if _, ok := r.header[h]; ok {
			t.Errorf("%s: %s header present (empty clears the client's token)", what, h)
		}
	}
	for _, s := range storeTexts {
		if strings.Contains(strings.ToLower(string(r.body)), strings.ToLower(s)) {
			t.Errorf("%s: store text %q in the body %s", what, s, r.body)
		}
	}
}

// storeBound is how long a refresh may take against a store that does not
// answer: the issuer's store timeout, plus slack for a PostgreSQL cancel
// request and a busy machine.
const storeBound = sessionissuer.DefaultStoreTimeout + 2*time.Second

// cookieSession is a session created on the cookie mount.
type cookieSession struct{ access, refresh string }

func cookieLogin(t *testing.T, in *instance, sub string) cookieSession {
	t.Helper()
	r := do("POST", in.base+"/cookie/login", `{"sub":"`+sub+`"}`, nil)
	if r.status != 200 {
		t.Fatalf("cookie login: %v", r)
	}
	return cookiesOf(t, r)
}

func cookiesOf(t *testing.T, r reply) cookieSession {
	t.Helper()
	var s cookieSession
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		switch c.Name {
		case sessionissuer.DefaultAccessCookie:
			s.access = c.Value
		case sessionissuer.DefaultRefreshCookie:
			s.refresh = c.Value
		}
	}
	if s.access == "" || s.refresh == "" {
		t.Fatalf("no session cookies: %v", r.header)
	}
	return s
}

func (in *instance) cookieRefresh(s cookieSession) reply {
	return do("POST", in.base+"/cookie/auth/refresh", "", map[string]string{
		"Cookie": sessionissuer.DefaultRefreshCookie + "=" + s.refresh, "Sec-Fetch-Site": "same-origin"})
}

// waitRefresh presents token until an answer is not 503 (the store coming
// back), for up to d, and returns the last answer.
func waitRefresh(in *instance, token string, d time.Duration) reply {
	var r reply
	waitUntil(d, func() bool {
		r = in.refresh(token)
		return r.err == nil && r.status != http.StatusServiceUnavailable
	})
	return r
}

// TestStoreFaultOutage: the store server is stopped under a running
// conformance server. Refreshes (header and cookie) answer 503 with
// Retry-After at once and clear nothing; access tokens still verify, the
// revocation check included (it needs no store round trip); once the
// server is back, the same refresh tokens work.
func TestStoreFaultOutage(t *testing.T) {
	eachOwnStore(t, func(t *testing.T, st ownStore) {
		in := startServer(t, "-store", st.flag)
		h := in.login("olive")
		c := cookieLogin(t, in, "olive")
		st.down()
		for _, c := range []struct {
			what    string
			refresh func() reply
		}{
			{"header refresh, store down", func() reply { return in.refresh(h.refresh) }},
			{"cookie refresh, store down", func() reply { return in.cookieRefresh(c) }},
		} {
			start := time.Now()
			check503(t, c.what, c.refresh())
			took := time.Since(start)
			if took > storeBound {
				t.Errorf("%s: answered after %v, want within %v", c.what, took, storeBound)
			}
			t.Logf("%s: %s: 503 after %v", st.name, c.what, took.Round(time.Millisecond))
		}
		if r := in.get("/any/required", h.access); r.status != 200 {
			t.Errorf("verification with the store down: %v", r)
		}
		if r := in.get("/revocation/required", h.access); r.status != 200 {
			t.Errorf("revocation check with the store down: %v", r)
		}
		if r := do("GET", in.base+"/cookie/required", "", map[string]string{"Cookie": sessionissuer.DefaultAccessCookie + "=" + c.access}); r.status != 200 {
			t.Errorf("cookie verification with the store down: %v", r)
		}
		st.up()
		up := time.Now()
		if r := waitRefresh(in, h.refresh, 30*time.Second); r.status != 200 {
			t.Fatalf("header refresh once the store is back: %v", r)
		}
		t.Logf("%s: refresh works again %v after the server is back", st.name, time.Since(up).Round(time.Millisecond))
		if r := in.cookieRefresh(c); r.status != 200 {
			t.Errorf("cookie refresh once the store is back: %v", r)
		}
	})
}

// TestStoreFaultCrash: 8 clients refresh in a storm (each always with the
// last token it was answered); the store server is killed with SIGKILL
// mid-storm and restarted. Every client's last answered token is still
// honoured: nothing answered was lost (lifecycle §3).
func TestStoreFaultCrash(t *testing.T) {
	eachOwnStore(t, func(t *testing.T, st ownStore) {
		in := startServer(t, "-store", st.flag)
		const clients = 8
		latest := make([]string, clients)
		for i := range latest {
			latest[i] = in.login(fmt.Sprintf("storm-%d", i)).refresh
		}
		var answered, unavailable atomic.Int64
		var mu sync.Mutex
		var refused []string
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					r := in.refresh(latest[i])
					switch {
					case r.status == 200:
						s, err := parseSession(r)
						if err != nil {
							mu.Lock()
							refused = append(refused, err.Error())
							mu.Unlock()
							return
						}
						latest[i] = s.refresh
						answered.Add(1)
					case r.status == http.StatusServiceUnavailable || r.err != nil:
						unavailable.Add(1)
						time.Sleep(20 * time.Millisecond)
					default:
						mu.Lock()
						refused = append(refused, fmt.Sprintf("client %d: %v", i, r))
						mu.Unlock()
						return
					}
				}
			}()
		}
		time.Sleep(1500 * time.Millisecond)
		st.crash()
		before := answered.Load()
		time.Sleep(500 * time.Millisecond)
		close(stop)
		wg.Wait()
		if before == 0 {
			t.Fatal("no refresh answered before the kill")
		}
		t.Logf("%s: %d refreshes answered before SIGKILL (%d in all), %d answered 503 or failed", st.name, before, answered.Load(), unavailable.Load())
		for _, r := range refused {
			t.Errorf("refused during the storm: %s", r)
		}
		st.up()
		for i, tok := range latest {
			if r := waitRefresh(in, tok, 30*time.Second); r.status != 200 {
				t.Errorf("client %d's last answered token after the restart: %v (an answered refresh was lost)", i, r)
			}
		}
	})
}

// TestStoreFaultSlow: a store that does not answer (a session row locked by
// another connection, a server stopped with SIGSTOP) makes a refresh
// answer 503 within the issuer's store timeout (WithStoreTimeout, default
// 3 s: a request's context has no deadline, and before that option nothing
// bounded the wait), while verification goes on; once the store answers,
// the same token refreshes.
func TestStoreFaultSlow(t *testing.T) {
	slowRefresh := func(t *testing.T, in *instance, s session) {
		t.Helper()
		start := time.Now()
		r := in.refresh(s.refresh)
		took := time.Since(start)
		check503(t, "refresh, store hung", r)
		if took > storeBound {
			t.Errorf("refresh against a hung store answered after %v, want within %v", took, storeBound)
		}
		t.Logf("503 after %v", took.Round(time.Millisecond))
		if r := in.get("/any/required", s.access); r.status != 200 {
			t.Errorf("verification with the store hung: %v", r)
		}
	}
	t.Run("postgres-row-lock", func(t *testing.T) {
		t.Parallel()
		needPostgres(t)
		schema := pgSchema(t)
		in := startServer(t, "-store", "postgres:"+postgresURL(), "-store-namespace", schema)
		s := in.login("rita")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, postgresURL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		table := pgx.Identifier{schema, "sessionguard_sessions"}.Sanitize()
		if _, err := tx.Exec(ctx, "SELECT 1 FROM "+table+" WHERE handle = $1 FOR UPDATE", s.sid); err != nil {
			t.Fatal(err)
		}
		slowRefresh(t, in, s)
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if r := in.refresh(s.refresh); r.status != 200 {
			t.Errorf("refresh once the lock is released: %v", r)
		}
	})
	for _, o := range ownStores {
		t.Run(o.name+"-sigstop", func(t *testing.T) {
			t.Parallel()
			st := o.start(t)
			in := startServer(t, "-store", st.flag)
			s := in.login("sam")
			st.pause()
			slowRefresh(t, in, s)
			st.resume()
			if r := waitRefresh(in, s.refresh, 30*time.Second); r.status != 200 {
				t.Errorf("refresh once the server runs again: %v", r)
			}
		})
	}
}
