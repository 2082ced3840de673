package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// call is one Store method, called for its error only.
type call struct {
	name string
	fn   func(ctx context.Context, st sessionissuer.Store) error
}

// calls covers every method of the Store interface.
var calls = []call{
	{"Create", func(ctx context.Context, st sessionissuer.Store) error {
		return st.Create(ctx, record("new", "alice", 0))
	}},
	{"Get", func(ctx context.Context, st sessionissuer.Store) error { _, err := st.Get(ctx, "h1"); return err }},
	{"SwapRefresh", func(ctx context.Context, st sessionissuer.Store) error {
		_, _, err := st.SwapRefresh(ctx, "h1", 1, sessionissuer.RefreshUpdate{Refresh: []byte("x"), RefreshedAt: base, ExpiresAt: base.Add(time.Hour)})
		return err
	}},
	{"SetPayload", func(ctx context.Context, st sessionissuer.Store) error {
		_, err := st.SetPayload(ctx, "h1", []byte(`{}`))
		return err
	}},
	{"Revoke", func(ctx context.Context, st sessionissuer.Store) error {
		_, err := st.Revoke(ctx, "h1", base)
		return err
	}},
	{"RevokeSubject", func(ctx context.Context, st sessionissuer.Store) error {
		_, err := st.RevokeSubject(ctx, "alice", "", base)
		return err
	}},
	{"List", func(ctx context.Context, st sessionissuer.Store) error {
		_, err := st.List(ctx, "alice", base)
		return err
	}},
	{"DeleteExpired", func(ctx context.Context, st sessionissuer.Store) error {
		_, err := st.DeleteExpired(ctx, base.Add(100*24*time.Hour), 10)
		return err
	}},
	{"WatchRevocations", func(ctx context.Context, st sessionissuer.Store) error {
		return st.WatchRevocations(ctx, time.Time{}, func(sessionissuer.Revocation) {})
	}},
	{"LoadKeys", func(ctx context.Context, st sessionissuer.Store) error { _, _, err := st.LoadKeys(ctx); return err }},
	{"SwapKeys", func(ctx context.Context, st sessionissuer.Store) error {
		_, err := st.SwapKeys(ctx, 0, []byte("k"))
		return err
	}},
}

// writes are the calls that need the file's write lock.
var writes = map[string]bool{"Create": true, "SwapRefresh": true, "SetPayload": true, "Revoke": true,
	"RevokeSubject": true, "DeleteExpired": true, "SwapKeys": true}

// TestCanceledContext: with a context already done, every call fails with an
// error wrapping ctx.Err() and changes nothing.
func TestCanceledContext(t *testing.T) {
	st := newStore(t)
	mustCreate(t, st, record("h1", "alice", 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.fn(ctx, st); !errors.Is(err, context.Canceled) {
				t.Fatalf("%s = %v, want an error wrapping context.Canceled", c.name, err)
			}
		})
	}
	if got := mustGet(t, st, "h1"); got.Version != 1 || !got.RevokedAt.IsZero() || string(got.Payload) != `{"role":"admin"}` {
		t.Errorf("a canceled call changed the row: %+v", got)
	}
	if _, err := st.Get(ctxT(t), "new"); !errors.Is(err, sessionissuer.ErrNotFound) {
		t.Errorf("a canceled Create stored its row")
	}
	if _, v, _ := st.LoadKeys(ctxT(t)); v != 0 {
		t.Errorf("a canceled SwapKeys stored keys")
	}
}

// holdWriteLock takes the file's write lock from a connection of its own (as
// another process would) until the test ends or release is called.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// TestDeadlineWhileLocked: while another connection holds the write lock, a
// write returns promptly at its deadline with an error wrapping
// context.DeadlineExceeded (never a success), and reads are not blocked.
func TestDeadlineWhileLocked(t *testing.T) {
	st := newStore(t, sqlitestore.WithBusyTimeout(time.Minute))
	mustCreate(t, st, record("h1", "alice", 0))
	holdWriteLock(t, pathOf(t, st))
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := c.fn(ctx, st)
			took := time.Since(start)
			if writes[c.name] || c.name == "WatchRevocations" {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("%s under a held lock = %v, want an error wrapping context.DeadlineExceeded", c.name, err)
				}
			} else if err != nil && !errors.Is(err, sessionissuer.ErrNotFound) {
				t.Fatalf("read %s under a held write lock = %v, want no wait", c.name, err)
			}
			if took > time.Second {
				t.Errorf("%s took %v past a 100ms deadline", c.name, took)
			}
		})
	}
}

// TestBusyTimeout: without a deadline, a write waits at most the busy
// timeout for another connection's lock, then fails; it succeeds if the lock
// is released in time.
func TestBusyTimeout(t *testing.T) {
	st := newStore(t, sqlitestore.WithBusyTimeout(200*time.Millisecond))
	mustCreate(t, st, record("h1", "alice", 0))
	release := holdWriteLock(t, pathOf(t, st))
	start := time.Now()
	_, err := st.Revoke(context.Background(), "h1", base)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Revoke under a held lock = %v after %v; want an error after about 200ms", err, time.Since(start))
	}
	if strings.Contains(err.Error(), "h1") {
		t.Errorf("error text names the handle: %v", err)
	}
	go func() { time.Sleep(50 * time.Millisecond); release() }()
	if ok, err := st.Revoke(context.Background(), "h1", base); err != nil || !ok {
		t.Fatalf("Revoke after the lock is released in time = %v, %v", ok, err)
	}
}

// TestFailingDatabase: a file that is not a database, or one never
// migrated, makes every call fail with an error (never ErrNotFound or a
// made-up success).
func TestFailingDatabase(t *testing.T) {
	t.Run("not migrated", func(t *testing.T) {
		st, err := sqlitestore.New(filepath.Join(t.TempDir(), "empty.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		checkAllFail(t, st)
	})
	t.Run("garbage file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "garbage.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := sqlitestore.New(path)
		if err != nil {
			return // refusing it at New is as good
		}
		defer st.Close()
		if err := st.Migrate(ctxT(t)); err == nil {
			t.Error("Migrate on a garbage file succeeded")
		}
		checkAllFail(t, st)
	})
	t.Run("closed", func(t *testing.T) {
		st := newStore(t)
		st.Close()
		for _, c := range calls {
			if err := c.fn(ctxT(t), st); !errors.Is(err, sqlitestore.ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", c.name, err)
			}
		}
		if err := st.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
	})
}

func checkAllFail(t *testing.T, st sessionissuer.Store) {
	t.Helper()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := c.fn(ctx, st)
		cancel()
		if err == nil || errors.Is(err, sessionissuer.ErrNotFound) || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s = %v, want a store error", c.name, err)
			continue
		}
		// record("new", …) carries these; no error text may repeat them.
		for _, secret := range []string{"refresh-state", `"role"`, "192.0.2.7", "Mozilla"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s error text %q contains row data %q", c.name, err, secret)
			}
		}
	}
}

func TestNewRejects(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		path string
		opts []sqlitestore.Option
	}{
		"empty path":         {"", nil},
		"memory":             {":memory:", nil},
		"uri":                {"file:x.db?mode=memory", nil},
		"missing directory":  {filepath.Join(dir, "no", "such", "dir", "x.db"), nil},
		"zero busy timeout":  {filepath.Join(dir, "a.db"), []sqlitestore.Option{sqlitestore.WithBusyTimeout(0)}},
		"slow poll":          {filepath.Join(dir, "b.db"), []sqlitestore.Option{sqlitestore.WithPollInterval(2 * time.Second)}},
		"zero poll":          {filepath.Join(dir, "c.db"), []sqlitestore.Option{sqlitestore.WithPollInterval(0)}},
		"zero read conns":    {filepath.Join(dir, "d.db"), []sqlitestore.Option{sqlitestore.WithReadConns(0)}},
		"negative busy time": {filepath.Join(dir, "e.db"), []sqlitestore.Option{sqlitestore.WithBusyTimeout(-time.Second)}},
	} {
		t.Run(name, func(t *testing.T) {
			st, err := sqlitestore.New(tc.path, tc.opts...)
			if err == nil {
				st.Close()
				t.Fatalf("New(%q) succeeded, want an error", tc.path)
			}
		})
	}
}

// TestPathWithURICharacters: a file name with characters that mean
// something in a SQLite URI is opened as named.
func TestPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd ?name#&=%41.db")
	st := openStore(t, path)
	mustCreate(t, st, record("h1", "alice", 0))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("file not at the path given: %v", err)
	}
}
