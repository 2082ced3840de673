package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// newStore returns a migrated Store on a new file in t's temporary directory.
func newStore(t testing.TB, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	return openStore(t, filepath.Join(t.TempDir(), "sessions.db"), opts...)
}

// openStore returns a migrated Store on path, closed when t ends.
func openStore(t testing.TB, path string, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	st, err := sqlitestore.New(path, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctxT(t)); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	paths.Store(st, path)
	return st
}

// paths maps each Store opened by openStore to its file.
var paths sync.Map

// pathOf is the file of a Store opened by openStore.
func pathOf(t testing.TB, st *sqlitestore.Store) string {
	t.Helper()
	p, ok := paths.Load(st)
	if !ok {
		t.Fatal("pathOf: store not opened by openStore")
	}
	return p.(string)
}

// collect returns the feed's backlog from since: what WatchRevocations
// delivers in its first 300 ms.
func collect(t testing.TB, st sessionissuer.Store, since time.Time) []sessionissuer.Revocation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var got []sessionissuer.Revocation
	err := st.WatchRevocations(ctx, since, func(r sessionissuer.Revocation) { got = append(got, r) })
	if err != context.DeadlineExceeded {
		t.Fatalf("WatchRevocations returned %v, want context.DeadlineExceeded", err)
	}
	return got
}

// ctxT is a context that ends with the test (or after 30 s).
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// base is a fixed instant with nanoseconds, to check times come back exact.
var base = time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)

// record is a live session row of subject created at base+offset.
func record(handle, subject string, offset time.Duration) *sessionissuer.Record {
	created := base.Add(offset)
	return &sessionissuer.Record{
		Handle:      handle,
		Subject:     subject,
		CreatedAt:   created,
		RefreshedAt: created,
		ExpiresAt:   created.Add(30 * 24 * time.Hour),
		UserAgent:   "Mozilla/5.0 (test)",
		IP:          "192.0.2.7",
		Label:       "laptop",
		Payload:     []byte(`{"role":"admin"}`),
		Refresh:     []byte("refresh-state-" + handle),
	}
}

func mustCreate(t testing.TB, st sessionissuer.Store, recs ...*sessionissuer.Record) {
	t.Helper()
	for _, rec := range recs {
		if err := st.Create(ctxT(t), rec); err != nil {
			t.Fatalf("Create(%s): %v", rec.Handle, err)
		}
	}
}

func mustGet(t testing.TB, st sessionissuer.Store, handle string) *sessionissuer.Record {
	t.Helper()
	rec, err := st.Get(ctxT(t), handle)
	if err != nil {
		t.Fatalf("Get(%s): %v", handle, err)
	}
	return rec
}

// rawDB opens path with the driver directly (no Store), closed when t ends.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
