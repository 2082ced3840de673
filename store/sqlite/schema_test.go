package sqlitestore_test

import (
	"strings"
	"sync"
	"testing"

	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

func TestMigrate(t *testing.T) {
	st := newStore(t)
	path := pathOf(t, st)
	for range 3 { // idempotent
		if err := st.Migrate(ctxT(t)); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	db := rawDB(t, path)
	var version int
	var mode string
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != sqlitestore.SchemaVersion {
		t.Errorf("user_version = %d, %v; want %d", version, err, sqlitestore.SchemaVersion)
	}
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	mustCreate(t, st, record("h1", "alice", 0))
	if err := st.Migrate(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mustGet(t, st, "h1") // migrating again keeps the data
}

// TestMigrateConcurrent: Stores that start together on a new file (each
// with connections of its own, as processes have) all migrate it.
func TestMigrateConcurrent(t *testing.T) {
	path := t.TempDir() + "/new.db"
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := sqlitestore.New(path)
			if err != nil {
				t.Error(err)
				return
			}
			defer st.Close()
			if err := st.Migrate(ctxT(t)); err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		}()
	}
	wg.Wait()
	st := openStore(t, path)
	mustCreate(t, st, record("h1", "alice", 0))
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	st := newStore(t)
	db := rawDB(t, pathOf(t, st))
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	err := st.Migrate(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Migrate on schema 99 = %v, want a refusal", err)
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != 99 {
		t.Errorf("user_version after a refused Migrate = %d, %v", v, err)
	}
}

// TestPragmas: the write connection runs with the documented settings.
func TestPragmas(t *testing.T) {
	st := newStore(t)
	for name, want := range map[string]string{"synchronous": "2", "journal_mode": "wal", "busy_timeout": "0", "foreign_keys": "0"} {
		got, err := sqlitestore.Pragma(ctxT(t), st, name)
		if err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", name, got, err, want)
		}
	}
}

// TestSweepUsesIndexes: DeleteExpired never scans a whole table.
func TestSweepUsesIndexes(t *testing.T) {
	st := newStore(t)
	db := rawDB(t, pathOf(t, st))
	for _, q := range sqlitestore.SweepQueries {
		rows, err := db.Query("EXPLAIN QUERY PLAN "+q, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") {
				t.Errorf("plan of %q scans: %v", q, plan)
			}
		}
	}
}
