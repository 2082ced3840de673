package pgstore_test

import (
	"errors"
	"sync"
	"testing"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
)

// TestMigrateConcurrent: 8 instances migrating one fresh schema at once all
// succeed and leave one copy of each version.
func TestMigrateConcurrent(t *testing.T) {
	schema := freshSchema(t)
	stores := make([]*pgstore.Store, 8)
	for i := range stores {
		stores[i] = openStore(t, schema)
	}
	ctx := ctxT(t)
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	var rows, maxV int
	if err := adminConn(t).QueryRow(ctx, "SELECT count(*), max(version) FROM "+schema+".sessionguard_schema_version").Scan(&rows, &maxV); err != nil {
		t.Fatal(err)
	}
	if rows != pgstore.SchemaVersion || maxV != pgstore.SchemaVersion {
		t.Errorf("version table: %d rows, max %d; want %d, %d", rows, maxV, pgstore.SchemaVersion, pgstore.SchemaVersion)
	}
	mustCreate(t, stores[3], newRecord("alice", now()))
}

func TestMigrateIdempotent(t *testing.T) {
	s := openStore(t, freshSchema(t))
	ctx := ctxT(t)
	if v, err := s.InstalledVersion(ctx); v != 0 || err != nil {
		t.Fatalf("InstalledVersion before Migrate = %d, %v", v, err)
	}
	// Before Migrate the store cannot answer: an error, never ErrNotFound.
	if _, err := s.Get(ctx, "h"); err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
		t.Fatalf("Get before Migrate = %v; want an error", err)
	}
	for i := 0; i < 3; i++ {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i, err)
		}
	}
	if v, err := s.InstalledVersion(ctx); v != pgstore.SchemaVersion || err != nil {
		t.Fatalf("InstalledVersion = %d, %v", v, err)
	}
	rec := newRecord("alice", now())
	mustCreate(t, s, rec)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mustGet(t, s, rec.Handle) // migrating again keeps the data
}

// TestMigrateNewerSchema: a schema migrated by a newer release is left
// alone.
func TestMigrateNewerSchema(t *testing.T) {
	s := newStore(t)
	ctx := ctxT(t)
	if _, err := adminConn(t).Exec(ctx, "INSERT INTO "+s.Schema()+".sessionguard_schema_version (version) VALUES ($1)", pgstore.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate on a newer schema: %v", err)
	}
	if v, _ := s.InstalledVersion(ctx); v != pgstore.SchemaVersion+1 {
		t.Fatalf("InstalledVersion = %d", v)
	}
}

// TestMigrateExistingSchema: an existing schema (public, or one made by a
// DBA) is used as it is.
func TestMigrateExistingSchema(t *testing.T) {
	schema := freshSchema(t)
	if _, err := adminConn(t).Exec(ctxT(t), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, schema)
	if err := s.Migrate(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}
