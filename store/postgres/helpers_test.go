package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// serverErr is why the test server cannot be used (nil when it can), found
// once by TestMain.
var serverErr error

func serverURL() string {
	if u := os.Getenv("SESSIONGUARD_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultURL
}

func serversRequired() bool { return os.Getenv("SESSIONGUARD_REQUIRE_SERVERS") == "1" }

func TestMain(m *testing.M) {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	conn, err := pgx.Connect(ctx, serverURL())
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	cancel()
	if err != nil {
		serverErr = err
		if !serversRequired() {
			// Examples cannot skip themselves: leave them out of the run.
			fmt.Fprintf(os.Stderr, "pgstore: PostgreSQL at SESSIONGUARD_POSTGRES_URL is unreachable (%v): tests skip, examples do not run\n", err)
			if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
				_ = f.Value.Set("^Test")
			}
		}
	}
	os.Exit(m.Run())
}

// needServer skips t (or fails it, under SESSIONGUARD_REQUIRE_SERVERS=1)
// when the test server is unreachable.
func needServer(t testing.TB) {
	t.Helper()
	if serverErr == nil {
		return
	}
	if serversRequired() {
		t.Fatalf("PostgreSQL required (SESSIONGUARD_REQUIRE_SERVERS=1) but unreachable: %v", serverErr)
	}
	t.Skipf("PostgreSQL unreachable at SESSIONGUARD_POSTGRES_URL (default %s): %v", defaultURL, serverErr)
}

// freshSchema returns a random schema name that is dropped at cleanup.
func freshSchema(t testing.TB) string {
	t.Helper()
	needServer(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "sgpg_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { dropSchema(t, serverURL(), name) })
	return name
}

func dropSchema(t testing.TB, url, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Logf("drop schema %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
		t.Logf("drop schema %s: %v", name, err)
	}
}

// openStore opens a store on schema (not migrated), closed at cleanup.
func openStore(t testing.TB, schema string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	return openStoreURL(t, serverURL(), schema, opts...)
}

func openStoreURL(t testing.TB, url, schema string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(context.Background(), url, append([]pgstore.Option{pgstore.WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// newStore returns a migrated store on a fresh schema.
func newStore(t testing.TB, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s := openStore(t, freshSchema(t), opts...)
	if err := s.Migrate(ctxT(t)); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// ctxT is a context bounded by 20 s, canceled at the end of t.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// adminConn is a plain connection to the test server, for what a test does
// behind the store's back (locking rows, sending junk notifications).
func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctxT(t), serverURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// now is the current time as the store keeps it (UTC, microseconds).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

var handleSeq atomic.Int64

// newRecord returns a live record of subject with a unique handle, created
// at created and expiring a day later.
func newRecord(subject string, created time.Time) *sessionissuer.Record {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return &sessionissuer.Record{
		Handle:      fmt.Sprintf("h%03d-%s", handleSeq.Add(1), hex.EncodeToString(b[:])),
		Subject:     subject,
		CreatedAt:   created,
		RefreshedAt: created,
		ExpiresAt:   created.Add(24 * time.Hour),
		UserAgent:   "test-agent",
		IP:          "127.0.0.1",
		Label:       "laptop",
		Payload:     []byte(`{"role":"user"}`),
		Refresh:     []byte("refresh-state-1"),
	}
}

func mustCreate(t testing.TB, s *pgstore.Store, rec *sessionissuer.Record) {
	t.Helper()
	if err := s.Create(ctxT(t), rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func mustGet(t testing.TB, s *pgstore.Store, handle string) *sessionissuer.Record {
	t.Helper()
	rec, err := s.Get(ctxT(t), handle)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return rec
}

// closedPort returns a loopback port that nothing listens on (it was free a
// moment ago).
func closedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return strconv.Itoa(port)
}

// watcher runs WatchRevocations in the background and collects what it
// delivers.
type watcher struct {
	mu   sync.Mutex
	got  []sessionissuer.Revocation
	done chan error
	stop context.CancelFunc
}

func startWatch(t testing.TB, s *pgstore.Store, since time.Time) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{done: make(chan error, 1), stop: cancel}
	go func() {
		w.done <- s.WatchRevocations(ctx, since, func(r sessionissuer.Revocation) {
			w.mu.Lock()
			w.got = append(w.got, r)
			w.mu.Unlock()
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			t.Error("WatchRevocations did not return within 5 s of its context ending")
		}
	})
	return w
}

// has reports whether handle was delivered, with its At.
func (w *watcher) has(handle string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.got {
		if r.Handle == handle {
			return r.At, true
		}
	}
	return time.Time{}, false
}

// waitFor waits up to d for every handle to be delivered and reports the
// ones missing.
func (w *watcher) waitFor(d time.Duration, handles ...string) []string {
	deadline := time.Now().Add(d)
	for {
		var missing []string
		for _, h := range handles {
			if _, ok := w.has(h); !ok {
				missing = append(missing, h)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pgInstance is a PostgreSQL server of the test's own, in a temporary
// directory on a free loopback port, that the test may stop and start (the
// machine's shared server is never touched).
type pgInstance struct {
	t       testing.TB
	bin     string // directory of initdb and pg_ctl
	dir     string
	port    string
	asOwner func(name string, args ...string) *exec.Cmd
}

// startInstance initialises and starts a private server, or skips t when
// initdb is not installed. It is stopped and removed at cleanup.
func startInstance(t testing.TB) *pgInstance {
	t.Helper()
	initdb, _ := exec.LookPath("initdb")
	if initdb == "" {
		found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
		if len(found) == 0 {
			t.Skip("initdb not found (install the PostgreSQL server package): a private server is needed to stop and restart")
		}
		sort.Strings(found)
		initdb = found[len(found)-1]
	}
	in := &pgInstance{t: t, bin: filepath.Dir(initdb), port: closedPort(t)}
	in.asOwner = exec.Command
	dir, err := os.MkdirTemp("", "pgstore-instance-")
	if err != nil {
		t.Fatal(err)
	}
	in.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		// The server refuses to run as root: run it as the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root and there is no postgres user to run a private server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Skip("running as root without runuser to start a private server as postgres")
		}
		in.asOwner = func(name string, args ...string) *exec.Cmd {
			return exec.Command(runuser, append([]string{"-u", "postgres", "--", name}, args...)...)
		}
	}
	in.run(filepath.Join(in.bin, "initdb"), "-D", in.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
	in.start()
	t.Cleanup(func() {
		cmd := in.asOwner(filepath.Join(in.bin, "pg_ctl"), "-D", in.data(), "-m", "immediate", "-w", "stop")
		_ = cmd.Run() // already stopped is fine
	})
	return in
}

func (in *pgInstance) data() string { return filepath.Join(in.dir, "data") }

// url is the instance's connection string.
func (in *pgInstance) url() string {
	return "postgres://postgres@127.0.0.1:" + in.port + "/postgres?sslmode=disable&connect_timeout=3"
}

func (in *pgInstance) start() {
	in.t.Helper()
	opts := "-p " + in.port + " -k " + in.dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
	in.run(filepath.Join(in.bin, "pg_ctl"), "-D", in.data(), "-l", filepath.Join(in.dir, "log"), "-w", "-t", "30", "-o", opts, "start")
}

func (in *pgInstance) stop() {
	in.t.Helper()
	in.run(filepath.Join(in.bin, "pg_ctl"), "-D", in.data(), "-m", "fast", "-w", "-t", "30", "stop")
}

func (in *pgInstance) run(name string, args ...string) {
	in.t.Helper()
	cmd := in.asOwner(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(in.dir, "log"))
		in.t.Fatalf("%s %v: %v\n%s\nserver log:\n%s", filepath.Base(name), args, err, out, log)
	}
}

// withParam adds a query parameter to a postgres:// URL.
func withParam(url, param string) string {
	if strings.Contains(url, "?") {
		return url + "&" + param
	}
	return url + "?" + param
}
