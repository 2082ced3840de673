//go:build unix

package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
)

const (
	sigStop = syscall.SIGSTOP
	sigCont = syscall.SIGCONT
)

// ownServer is a redis-server this test started, on its own port, that the
// test may kill, restart, stop and continue. The machine's shared server is
// never touched.
type ownServer struct {
	tb     testing.TB
	port   int
	args   []string
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd's process is gone
	log    string        // the server's output, for failure messages
}

// The preferred port of the servers the tests start, then ports below the
// kernel's ephemeral range (32768 and up on Linux), where no outgoing
// connection can be holding the port when a server binds it.
const ownPort = 56379

var fallbackPorts = []int{16379, 16380, 16381, 16382, 16383, 16384, 16385, 16386}

func startOwnServer(tb testing.TB, args ...string) *ownServer {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("SESSIONGUARD_REQUIRE_SERVERS") == "1" {
			tb.Fatalf("redis-server is not installed")
		}
		tb.Skip("redis-server is not installed")
	}
	for _, port := range append([]int{ownPort}, fallbackPorts...) {
		if !portFree(port) {
			continue
		}
		s := &ownServer{tb: tb, port: port, args: args}
		tb.Cleanup(s.kill)
		s.start()
		return s
	}
	tb.Fatalf("no free port for a test redis-server")
	return nil
}

// portFree reports whether 127.0.0.1:port can be listened on now.
func portFree(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

func (s *ownServer) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// start starts the server on its port and waits until it answers. On a
// restart the port may still be held for a moment; start retries.
func (s *ownServer) start() {
	s.tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !portFree(s.port) {
		if time.Now().After(deadline) {
			s.tb.Fatalf("port %d stays taken", s.port)
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := os.CreateTemp(s.tb.TempDir(), "redis-*.log")
	if err != nil {
		s.tb.Fatal(err)
	}
	defer out.Close()
	s.log = out.Name()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no",
		"--dir", s.tb.TempDir()) // a replica writes the RDB it receives there
	s.cmd.Args = append(s.cmd.Args, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		s.tb.Fatalf("starting redis-server: %v", err)
	}
	exited, cmd := make(chan struct{}), s.cmd
	s.exited = exited
	go func() { _ = cmd.Wait(); close(exited) }()
	o, _ := redis.ParseURL(s.url())
	c := redis.NewClient(o)
	defer c.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		select {
		case <-exited:
			s.cmd = nil
			s.tb.Fatalf("own redis-server on port %d exited:\n%s", s.port, s.output())
		default:
		}
		if time.Now().After(deadline) {
			s.tb.Fatalf("own redis-server did not answer: %v\n%s", err, s.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// output is what the server printed.
func (s *ownServer) output() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// kill ends the server at once (SIGKILL: no clean shutdown) and waits for
// it to be gone.
func (s *ownServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Kill)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.tb.Errorf("own redis-server on port %d did not exit", s.port)
	}
	s.cmd = nil
}

func (s *ownServer) pause()  { _ = s.cmd.Process.Signal(sigStop) }
func (s *ownServer) resume() { _ = s.cmd.Process.Signal(sigCont) }

// TestOutageAndReconnect kills the test's own server under a live store:
// every call fails with an error (never ErrNotFound, never a success), the
// watch ends with an error, and once the server is back the same store
// works again, without a restart.
func TestOutageAndReconnect(t *testing.T) {
	srv := startOwnServer(t)
	ctx := context.Background()
	s, err := redisstore.New(ctx, srv.url(), redisstore.WithPrefix(randomPrefix()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rec := record("alice", now())
	mustCreate(t, s, rec)

	c := newCollector()
	_, watchDone := watch(t, s, now(), c)
	time.Sleep(200 * time.Millisecond) // let the subscription settle

	srv.kill()
	select {
	case err := <-watchDone:
		if err == nil || isCtxErr(err) {
			t.Fatalf("watch ended with %v, want the server's failure", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not notice the server was gone")
	}
	for op, err := range storeCalls(s, ctxWithTimeout(t, 2*time.Second), rec.Handle) {
		if err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
			t.Errorf("%s with the server down = %v, want an error", op, err)
		}
	}

	srv.start()
	// A fresh server has no data (no persistence): the same store accepts
	// new sessions at once.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := s.Create(ctxWithTimeout(t, time.Second), record("alice", now()))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not reconnect: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Scripts are loaded again (the new server's script cache is empty).
	r2 := record("bob", now())
	mustCreate(t, s, r2)
	if _, ok, err := s.SwapRefresh(ctx, r2.Handle, 1, sessionissuer.RefreshUpdate{RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)}); !ok || err != nil {
		t.Fatalf("SwapRefresh after reconnect = %v, %v", ok, err)
	}
	c2 := newCollector()
	watch(t, s, now().Add(-time.Second), c2)
	time.Sleep(200 * time.Millisecond)
	if _, err := s.Revoke(ctx, r2.Handle, now()); err != nil {
		t.Fatal(err)
	}
	c2.await(t, r2.Handle, 2*time.Second)
}

// TestHungServer stops (SIGSTOP) the test's own server: a call with a
// deadline returns at the deadline with an error wrapping
// context.DeadlineExceeded, a cancelled call returns at once with
// context.Canceled, and a watch notices the silence by its health check.
func TestHungServer(t *testing.T) {
	srv := startOwnServer(t)
	ctx := context.Background()
	s, err := redisstore.New(ctx, srv.url(), redisstore.WithPrefix(randomPrefix()), redisstore.WithFeedHealthCheck(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := record("alice", now())
	mustCreate(t, s, rec)
	c := newCollector()
	_, watchDone := watch(t, s, now(), c)
	time.Sleep(100 * time.Millisecond)

	// Idle pooled connections, so that calls below are written to the
	// stopped server's socket buffers and wait for replies.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = s.Get(ctx, rec.Handle) }()
	}
	wg.Wait()

	srv.pause()
	defer srv.resume()

	t.Run("caller's slices are not read after a cancelled call", func(t *testing.T) {
		// Run under -race: the calls go on in the background, and must
		// work on copies of what the caller may reuse at once.
		r := record("alice", now())
		payload, state, blob := []byte(`{"a":1}`), []byte("state"), []byte("ring")
		calls := []func(context.Context) error{
			func(ctx context.Context) error { return s.Create(ctx, r) },
			func(ctx context.Context) error {
				_, _, err := s.SwapRefresh(ctx, rec.Handle, 1, sessionissuer.RefreshUpdate{Refresh: state})
				return err
			},
			func(ctx context.Context) error { _, err := s.SetPayload(ctx, rec.Handle, payload); return err },
			func(ctx context.Context) error { _, err := s.SwapKeys(ctx, 0, blob); return err },
		}
		for _, call := range calls {
			cctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(50*time.Millisecond, cancel)
			if err := call(cctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("call = %v, want Canceled", err)
			}
		}
		for _, b := range [][]byte{r.Payload, r.Refresh, payload, state, blob} {
			for i := range b {
				b[i] = 'X'
			}
		}
		r.Handle, r.Subject = "reused", "reused"
	})

	for _, op := range storeOps(s, rec.Handle) {
		t.Run(op.name, func(t *testing.T) {
			start := time.Now()
			err := op.call(ctxWithTimeout(t, 200*time.Millisecond))
			if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > time.Second {
				t.Errorf("with a deadline: %v after %v, want DeadlineExceeded at the deadline", err, took)
			}
			cctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(200*time.Millisecond, cancel)
			start = time.Now()
			err = op.call(cctx)
			if took := time.Since(start); !errors.Is(err, context.Canceled) || took > time.Second {
				t.Errorf("cancelled without a deadline: %v after %v, want Canceled at once", err, took)
			}
		})
	}
	t.Run("client without context timeouts", func(t *testing.T) {
		o, _ := redis.ParseURL(srv.url())
		c := redis.NewClient(o) // ContextTimeoutEnabled false: the store bounds the call
		defer c.Close()
		fs, err := redisstore.NewFromClient(c, redisstore.WithPrefix(randomPrefix()))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = fs.Get(ctxWithTimeout(t, 200*time.Millisecond), rec.Handle)
		if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > time.Second {
			t.Fatalf("Get = %v after %v", err, took)
		}
	})
	select {
	case err := <-watchDone:
		if err == nil || isCtxErr(err) {
			t.Fatalf("watch ended with %v, want a health-check failure", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not notice the hung server")
	}

	srv.resume()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.Get(ctxWithTimeout(t, time.Second), rec.Handle)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not recover after the server resumed: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ctxWithTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestWaitReplicas runs a primary with a replica (both the test's own):
// with WithWaitReplicas(1, …) writes succeed while the replica follows,
// and fail, promptly and without a logout-shaped answer, once it is gone.
func TestWaitReplicas(t *testing.T) {
	primary := startOwnServer(t)
	replica := startOwnServer(t, "--replicaof", "127.0.0.1", strconv.Itoa(primary.port))
	ctx := context.Background()
	c := rawClient(t, primary.url())
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := c.Info(ctx, "replication").Val()
		if strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica did not come online:\n%s", info)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s, err := redisstore.New(ctx, primary.url(), redisstore.WithPrefix(randomPrefix()), redisstore.WithWaitReplicas(1, 500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := record("alice", now())
	mustCreate(t, s, rec)
	if _, ok, err := s.SwapRefresh(ctx, rec.Handle, 1, sessionissuer.RefreshUpdate{RefreshedAt: now(), ExpiresAt: now().Add(time.Hour)}); !ok || err != nil {
		t.Fatalf("SwapRefresh with a replica = %v, %v", ok, err)
	}
	// After a script cache flush the pair is sent again.
	c.ScriptFlush(ctx)
	if ok, err := s.Revoke(ctx, rec.Handle, now()); !ok || err != nil {
		t.Fatalf("Revoke after SCRIPT FLUSH = %v, %v", ok, err)
	}

	replica.kill()
	r2 := record("bob", now())
	start := time.Now()
	err = s.Create(ctx, r2)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Create without a replica = %v after %v, want an error after the wait", err, time.Since(start))
	}
	t.Logf("Create without its replica: %v", err)
	// The primary did write it: a retry sees the handle taken.
	if _, err := s.Get(ctx, r2.Handle); err != nil {
		t.Fatalf("Get of the unacknowledged write: %v", err)
	}
}

// TestIssuersAcrossRestart runs two issuers over two stores (two
// connection pools, as two processes have) sharing the test's own server:
// a revocation in one reaches the other's revocation check within 2 s,
// and again after the server was killed and restarted, once the issuer has
// watched again.
func TestIssuersAcrossRestart(t *testing.T) {
	srv := startOwnServer(t)
	ctx := context.Background()
	prefix := randomPrefix()
	var issuers []*sessionissuer.Issuer
	for range 2 {
		s, err := redisstore.New(ctx, srv.url(), redisstore.WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		iss, err := sessionissuer.New(s, sessionissuer.WithIssuer("https://restart.example"),
			sessionissuer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = iss.Close() })
		issuers = append(issuers, iss)
	}
	a, b := issuers[0], issuers[1]
	revokeAndSee := func(within time.Duration) {
		t.Helper()
		var tok *sessionissuer.Tokens
		deadline := time.Now().Add(10 * time.Second)
		for {
			var err error
			tok, err = a.Create(ctxWithTimeout(t, 5*time.Second), "alice", nil, sessionissuer.Device{})
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Create: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err := a.Revoke(ctxWithTimeout(t, 5*time.Second), tok.Handle); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for !b.Revocations().Revoked(tok.Handle) {
			if time.Since(start) > within {
				t.Fatalf("revocation not seen by the other issuer within %v", within)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("seen by the other issuer after %v", time.Since(start))
	}
	time.Sleep(200 * time.Millisecond) // both feeds subscribed
	revokeAndSee(2 * time.Second)

	srv.kill()
	time.Sleep(500 * time.Millisecond)
	srv.start()
	// The issuer's feed backs off up to 5 s between attempts; the catch-up
	// read then delivers what was revoked meanwhile.
	revokeAndSee(8 * time.Second)
}
