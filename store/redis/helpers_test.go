package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
)

// TestMain skips the example (which cannot skip itself) when the server
// does not answer and SESSIONGUARD_REQUIRE_SERVERS is not 1; the tests
// then skip one by one with the reason.
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("SESSIONGUARD_REQUIRE_SERVERS") != "1" && serverErr(serverURL()) != nil {
		if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
			fmt.Println("redisstore: Redis does not answer at SESSIONGUARD_REDIS_URL (or 127.0.0.1:6379): the example is not run and the tests skip")
			_ = f.Value.Set("^(Test|Fuzz)")
		}
	}
	os.Exit(m.Run())
}

// serverURL is the shared test server: SESSIONGUARD_REDIS_URL, or the
// machine's default.
func serverURL() string {
	if u := os.Getenv("SESSIONGUARD_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// requireServer skips tb when the server does not answer, unless
// SESSIONGUARD_REQUIRE_SERVERS=1, when it fails instead. The server is
// asked once per URL and test binary.
func requireServer(tb testing.TB, url string) {
	tb.Helper()
	err := serverErr(url)
	if err == nil {
		return
	}
	if os.Getenv("SESSIONGUARD_REQUIRE_SERVERS") == "1" {
		tb.Fatalf("Redis does not answer: %v", err)
	}
	tb.Skipf("Redis does not answer (set SESSIONGUARD_REDIS_URL, or SESSIONGUARD_REQUIRE_SERVERS=1 to fail): %v", err)
}

var (
	pingMu  sync.Mutex
	pingErr = map[string]error{}
)

func serverErr(url string) error {
	pingMu.Lock()
	defer pingMu.Unlock()
	if err, ok := pingErr[url]; ok {
		return err
	}
	err := ping(url)
	pingErr[url] = err
	return err
}

func ping(url string) error {
	o, err := redis.ParseURL(url)
	if err != nil {
		return errors.New("SESSIONGUARD_REDIS_URL does not parse")
	}
	o.MaxRetries = -1
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// randomPrefix isolates one test's keys from every other test run on the
// shared server.
func randomPrefix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "sgtest:" + hex.EncodeToString(b) + ":"
}

// newStore returns a migrated store under a fresh prefix on the shared
// server, and removes the prefix's keys when the test ends.
func newStore(tb testing.TB, opts ...redisstore.Option) *redisstore.Store {
	tb.Helper()
	url := serverURL()
	requireServer(tb, url)
	prefix := randomPrefix()
	s, err := redisstore.New(context.Background(), url, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	tb.Cleanup(func() {
		_ = s.Close()
		cleanPrefix(tb, url, prefix)
	})
	return s
}

// sharedStores returns n stores with one prefix and a client each, as n
// processes sharing one Redis would have.
func sharedStores(tb testing.TB, n int) []*redisstore.Store {
	tb.Helper()
	url := serverURL()
	requireServer(tb, url)
	prefix := randomPrefix()
	out := make([]*redisstore.Store, 0, n)
	tb.Cleanup(func() {
		for _, s := range out {
			_ = s.Close()
		}
		cleanPrefix(tb, url, prefix)
	})
	for range n {
		s, err := redisstore.New(context.Background(), url, redisstore.WithPrefix(prefix))
		if err != nil {
			tb.Fatalf("New: %v", err)
		}
		out = append(out, s)
	}
	return out
}

// rawClient is a plain client on url, for looking at what the store wrote.
func rawClient(tb testing.TB, url string) *redis.Client {
	tb.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatalf("URL does not parse")
	}
	c := redis.NewClient(o)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func cleanPrefix(tb testing.TB, url, prefix string) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return
	}
	c := redis.NewClient(o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			c.Unlink(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		c.Unlink(ctx, keys...)
	}
	if err := iter.Err(); err != nil && tb != nil {
		tb.Logf("cleaning prefix: %v", err)
	}
}

func randomHandle() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// now is a wall-clock time at microsecond precision (what the store keeps).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// record returns a live row of subject, created at created.
func record(subject string, created time.Time) *sessionissuer.Record {
	return &sessionissuer.Record{
		Handle:      randomHandle(),
		Subject:     subject,
		CreatedAt:   created,
		RefreshedAt: created,
		ExpiresAt:   created.Add(30 * 24 * time.Hour),
		UserAgent:   "Mozilla/5.0 (test)",
		IP:          "192.0.2.7",
		Label:       "laptop",
		Payload:     []byte(`{"role":"admin"}`),
		Refresh:     []byte{0, 1, 2, 0xff, 'x'},
	}
}

func mustCreate(tb testing.TB, s *redisstore.Store, rec *sessionissuer.Record) {
	tb.Helper()
	if err := s.Create(context.Background(), rec); err != nil {
		tb.Fatalf("Create: %v", err)
	}
}

// isCtxErr reports whether err wraps a context error.
func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
