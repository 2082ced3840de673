package main

// Helpers of the tests that run conformance servers over real stores
// (multi_test.go, faults_test.go): the binary, the shared PostgreSQL and
// Redis (skipped when unreachable unless SESSIONGUARD_REQUIRE_SERVERS=1),
// servers of the test's own that it may stop, kill and restart, and a
// small header-mode HTTP client.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// binDir holds the binary built once per test binary; TestMain removes it.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// serverBinary builds the conformance server once.
func serverBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "conformance-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "conformance")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func serversRequired() bool { return os.Getenv("SESSIONGUARD_REQUIRE_SERVERS") == "1" }

func postgresURL() string {
	if u := os.Getenv("SESSIONGUARD_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func redisURL() string {
	if u := os.Getenv("SESSIONGUARD_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

var (
	pingOnce        sync.Once
	pgErr, redisErr error
)

func pingServers() {
	pingOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, postgresURL())
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		pgErr = err
		o, err := redis.ParseURL(redisURL())
		if err == nil {
			c := redis.NewClient(o)
			err = c.Ping(ctx).Err()
			c.Close()
		}
		redisErr = err
	})
}

func need(t testing.TB, what string, err error) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts conformance servers over " + what + " (not in -short)")
	}
	if err == nil {
		return
	}
	if serversRequired() {
		t.Fatalf("%s required (SESSIONGUARD_REQUIRE_SERVERS=1) but unreachable: %v", what, err)
	}
	t.Skipf("%s unreachable (set SESSIONGUARD_%s_URL; SESSIONGUARD_REQUIRE_SERVERS=1 fails instead): %v",
		what, strings.ToUpper(what), err)
}

func needPostgres(t testing.TB) { pingServers(); need(t, "postgres", pgErr) }
func needRedis(t testing.TB)    { pingServers(); need(t, "redis", redisErr) }

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// pgSchema is a fresh schema on the shared server, dropped at cleanup.
func pgSchema(t testing.TB) string {
	t.Helper()
	name := randomName("sgconf_")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, postgresURL())
		if err != nil {
			t.Logf("drop schema: %v", err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("drop schema: %v", err)
		}
	})
	return name
}

// redisPrefix is a fresh key prefix on the shared server; its keys are
// deleted at cleanup.
func redisPrefix(t testing.TB) string {
	t.Helper()
	prefix := randomName("sgconf:") + ":"
	t.Cleanup(func() {
		o, err := redis.ParseURL(redisURL())
		if err != nil {
			return
		}
		c := redis.NewClient(o)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

// instance is one conformance server process.
type instance struct {
	t      testing.TB
	base   string
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	stderr bytes.Buffer
}

func (in *instance) Write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stderr.Write(p)
}

func (in *instance) log() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stderr.String()
}

// startServer starts a conformance server (nethttp unless -framework is
// given) with args and waits for its line; at cleanup it is stopped with
// SIGTERM and must exit 0, and its log must hold no token.
func startServer(t testing.TB, args ...string) *instance {
	t.Helper()
	if !strings.Contains(strings.Join(args, " "), "-framework") {
		args = append([]string{"-framework", "nethttp"}, args...)
	}
	in := &instance{t: t, exited: make(chan struct{})}
	in.cmd = exec.Command(serverBinary(t), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	in.cmd.Stderr = in
	stdout, err := in.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = in.cmd.Wait(); close(in.exited) }()
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l, ok := <-line:
		if !ok || !strings.HasPrefix(l, "listening on http://") {
			<-in.exited
			t.Fatalf("conformance server did not start (%q): %s", l, in.log())
		}
		in.base = strings.TrimPrefix(l, "listening on ")
	case <-time.After(30 * time.Second):
		_ = in.cmd.Process.Kill()
		t.Fatalf("conformance server did not start within 30 s: %s", in.log())
	}
	t.Cleanup(func() {
		select {
		case <-in.exited:
		default:
			_ = in.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-in.exited:
				if code := in.cmd.ProcessState.ExitCode(); code != 0 {
					t.Errorf("conformance server exit %d after SIGTERM; log: %s", code, in.log())
				}
			case <-time.After(20 * time.Second):
				_ = in.cmd.Process.Kill()
				t.Errorf("conformance server did not stop within 20 s of SIGTERM")
			}
		}
		if strings.Contains(in.log(), "eyJ") {
			t.Errorf("a token reached the log: %s", in.log())
		}
	})
	return in
}

// reply is one response, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
	err    error // transport error (no response)
}

// code is the error code of a JSON error body ("" for anything else).
func (a reply) code() string {
	var b struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(a.body, &b)
	return b.Error
}

func (a reply) String() string {
	if a.err != nil {
		return "transport error: " + a.err.Error()
	}
	return fmt.Sprintf("%d %s", a.status, a.body)
}

var client = &http.Client{Timeout: 30 * time.Second}

func do(method, url string, body string, header map[string]string) reply {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return reply{err: err}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// session is what a header-mode login or refresh hands the client.
type session struct {
	sid, access, refresh string
}

// login starts a session for sub on in (header transfer).
func (in *instance) login(sub string) session {
	in.t.Helper()
	a := do("POST", in.base+"/header/login", `{"sub":"`+sub+`"}`, nil)
	if a.status != 200 {
		in.t.Fatalf("login on %s: %v", in.base, a)
	}
	return sessionOf(in.t, a)
}

func sessionOf(t testing.TB, a reply) session {
	t.Helper()
	s, err := parseSession(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// parseSession reads a header-mode 200 (safe off the test's goroutine).
func parseSession(a reply) (session, error) {
	var b struct {
		Session struct {
			SID string `json:"sid"`
		} `json:"session"`
	}
	if err := json.Unmarshal(a.body, &b); err != nil {
		return session{}, fmt.Errorf("session body %q: %v", a.body, err)
	}
	s := session{sid: b.Session.SID, access: a.header.Get("Access-Token"), refresh: a.header.Get("Refresh-Token")}
	if s.sid == "" || s.access == "" || s.refresh == "" {
		return session{}, fmt.Errorf("a 200 without the session: %v %v", a, a.header)
	}
	return s, nil
}

// refresh presents a refresh token on the header mount.
func (in *instance) refresh(token string) reply {
	return do("POST", in.base+"/header/auth/refresh", "", map[string]string{"Authorization": "Bearer " + token})
}

// get calls a verified route with an access token.
func (in *instance) get(path, access string) reply {
	return do("GET", in.base+path, "", map[string]string{"Authorization": "Bearer " + access})
}

// kid is the key id in a compact JWS's header.
func kid(t testing.TB, jws string) string {
	t.Helper()
	h, _, _ := strings.Cut(jws, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &hdr); err != nil {
		t.Fatalf("token header: %v", err)
	}
	return hdr.Kid
}

// jwksKids fetches an instance's JWKS and returns its kids, sorted, and
// the document.
func (in *instance) jwksKids() ([]string, string, reply) {
	a := do("GET", in.base+"/.well-known/jwks.json", "", nil)
	var doc struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	_ = json.Unmarshal(a.body, &doc)
	var kids []string
	for _, k := range doc.Keys {
		kids = append(kids, k.Kid)
	}
	sort.Strings(kids)
	return kids, string(a.body), a
}

// waitUntil polls cond every 20 ms until it holds or d passes.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort is a loopback port nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ownPostgres is a PostgreSQL server of the test's own (initdb into a
// temporary directory, pg_ctl on a free loopback port), with the default
// durability settings (fsync on, synchronous_commit on), which the test may
// stop, kill, pause and restart. The shared server is never touched.
type ownPostgres struct {
	t       testing.TB
	bin     string
	dir     string
	port    int
	asOwner func(name string, args ...string) *exec.Cmd
}

func startOwnPostgres(t testing.TB) *ownPostgres {
	t.Helper()
	initdb, _ := exec.LookPath("initdb")
	if initdb == "" {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(found) == 0 {
			if serversRequired() {
				t.Fatal("initdb not found: a PostgreSQL server of the test's own is needed")
			}
			t.Skip("initdb not found (install the PostgreSQL server package)")
		}
		sort.Strings(found)
		initdb = found[len(found)-1]
	}
	pg := &ownPostgres{t: t, bin: filepath.Dir(initdb), port: freePort(t), asOwner: exec.Command}
	dir, err := os.MkdirTemp("", "conformance-pg-")
	if err != nil {
		t.Fatal(err)
	}
	pg.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		// The server refuses to run as root: run it as the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root with no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Skip("running as root without runuser")
		}
		pg.asOwner = func(name string, args ...string) *exec.Cmd {
			return exec.Command(runuser, append([]string{"-u", "postgres", "--", name}, args...)...)
		}
	}
	pg.run("initdb", "-D", pg.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
	pg.start()
	t.Cleanup(func() {
		pg.resume()
		_ = pg.asOwner(filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data(), "-m", "immediate", "-w", "stop").Run()
	})
	return pg
}

func (pg *ownPostgres) data() string { return filepath.Join(pg.dir, "data") }

func (pg *ownPostgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", pg.port)
}

func (pg *ownPostgres) start() {
	pg.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", pg.port, pg.dir)
	pg.run("pg_ctl", "-D", pg.data(), "-l", filepath.Join(pg.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
}

// stop is a clean shutdown (pg_ctl -m fast).
func (pg *ownPostgres) stop() {
	pg.t.Helper()
	pg.run("pg_ctl", "-D", pg.data(), "-m", "fast", "-w", "-t", "30", "stop")
}

// pids are the postmaster and its children (the backends, the WAL writer,
// ...): every process of this server.
func (pg *ownPostgres) pids() []int {
	b, err := os.ReadFile(filepath.Join(pg.data(), "postmaster.pid"))
	if err != nil {
		return nil
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return nil
	}
	pids := []int{pid}
	children, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for _, f := range strings.Fields(string(children)) {
		if c, err := strconv.Atoi(f); err == nil {
			pids = append(pids, c)
		}
	}
	return pids
}

func (pg *ownPostgres) signal(sig syscall.Signal) {
	for _, pid := range pg.pids() {
		_ = syscall.Kill(pid, sig)
	}
}

// kill ends every process of the server at once with SIGKILL (a crash: no
// shutdown checkpoint; the next start replays the WAL).
func (pg *ownPostgres) kill() {
	pg.t.Helper()
	pids := pg.pids()
	pg.signal(syscall.SIGKILL)
	if !waitUntil(10*time.Second, func() bool {
		for _, pid := range pids {
			// Gone, not only dead: the next start refuses to run while
			// the old postmaster's PID exists, even as a zombie.
			if syscall.Kill(pid, 0) == nil {
				return false
			}
		}
		return true
	}) {
		pg.t.Fatal("own PostgreSQL survived SIGKILL")
	}
}

// pause stops every process of the server (SIGSTOP): connections stay
// open and nothing answers.
func (pg *ownPostgres) pause()  { pg.signal(syscall.SIGSTOP) }
func (pg *ownPostgres) resume() { pg.signal(syscall.SIGCONT) }

func (pg *ownPostgres) run(tool string, args ...string) {
	pg.t.Helper()
	out, err := pg.asOwner(filepath.Join(pg.bin, tool), args...).CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
		pg.t.Fatalf("%s %v: %v\n%s\nserver log:\n%s", tool, args, err, out, log)
	}
}

// ownRedis is a redis-server of the test's own on a free port, keeping its
// files in a temporary directory, which the test may kill, pause and
// restart. args are extra server arguments (persistence).
type ownRedis struct {
	t      testing.TB
	port   int
	dir    string
	args   []string
	cmd    *exec.Cmd
	exited chan struct{}
}

func startOwnRedis(t testing.TB, args ...string) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if serversRequired() {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	r := &ownRedis{t: t, port: freePort(t), dir: t.TempDir(), args: args}
	r.start()
	t.Cleanup(func() {
		r.resume()
		r.kill()
	})
	return r
}

func (r *ownRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--dir", r.dir, "--daemonize", "no"}, r.args...)...)
	log, err := os.OpenFile(filepath.Join(r.dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		r.t.Fatal(err)
	}
	defer log.Close()
	r.cmd.Stdout, r.cmd.Stderr = log, log
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	exited, cmd := make(chan struct{}), r.cmd
	r.exited = exited
	go func() { _ = cmd.Wait(); close(exited) }()
	o, _ := redis.ParseURL(r.url())
	c := redis.NewClient(o)
	defer c.Close()
	if !waitUntil(20*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return c.Ping(ctx).Err() == nil
	}) {
		b, _ := os.ReadFile(filepath.Join(r.dir, "log"))
		r.t.Fatalf("own redis-server does not reply:\n%s", b)
	}
}

// kill ends the server with SIGKILL and waits for it.
func (r *ownRedis) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
	r.cmd = nil
}

func (r *ownRedis) pause() { _ = r.cmd.Process.Signal(syscall.SIGSTOP) }
func (r *ownRedis) resume() {
	if r.cmd != nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
	}
}
