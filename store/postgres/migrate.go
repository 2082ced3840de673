package pgstore

import (
	"context"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Table names, inside the store's schema (see [WithSchema]).
const (
	sessionsTable = "sessionguard_sessions"
	keysTable     = "sessionguard_keys"
	versionTable  = "sessionguard_schema_version"
)

// SchemaVersion is the version of the table layout this package writes and
// reads; [Store.Migrate] brings a schema up to it.
const SchemaVersion = 1

// migrations[i] takes a schema from version i to i+1. Each entry is a list of
// single statements in which {schema} stands for the quoted schema name.
// Entries are never edited once released, only appended, and each is
// additive, so an instance still running the previous release keeps working
// against a schema migrated by a newer one.
var migrations = [][]string{
	// 1: sessions and the key ring.
	{
		`CREATE TABLE {schema}.` + sessionsTable + ` (
			handle       text        PRIMARY KEY,
			subject      text        NOT NULL,
			created_at   timestamptz NOT NULL,
			refreshed_at timestamptz NOT NULL,
			expires_at   timestamptz NOT NULL,
			revoked_at   timestamptz,
			user_agent   bytea       NOT NULL,
			ip           bytea       NOT NULL,
			label        bytea       NOT NULL,
			payload      bytea       NOT NULL,
			refresh      bytea       NOT NULL,
			version      bigint      NOT NULL CHECK (version > 0)
		)`,
		`CREATE INDEX ` + sessionsTable + `_subject ON {schema}.` + sessionsTable + ` (subject, created_at DESC)`,
		`CREATE INDEX ` + sessionsTable + `_expires ON {schema}.` + sessionsTable + ` (expires_at)`,
		`CREATE INDEX ` + sessionsTable + `_revoked ON {schema}.` + sessionsTable + ` (revoked_at) WHERE revoked_at IS NOT NULL`,
		`CREATE TABLE {schema}.` + keysTable + ` (
			id      smallint PRIMARY KEY CHECK (id = 1),
			blob    bytea    NOT NULL,
			version bigint   NOT NULL CHECK (version > 0)
		)`,
	},
}

// Migrate creates the schema (when missing) and its tables, or brings them
// up to [SchemaVersion]; it does nothing when they are already there. It is
// one transaction holding a transaction-scoped advisory lock keyed by the
// schema name, so any number of instances may call it at once (each waits
// for the one before, then finds nothing to do) and a failure leaves the
// schema as it was. A schema already migrated by a newer release (a higher
// version) is left alone, without error. The role needs the CREATE privilege
// on the database only when the schema does not exist yet.
func (s *Store) Migrate(ctx context.Context) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapErr(ctx, "migrate", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx) // a failed rollback closes the connection, which aborts the transaction
		}
	}()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey(s.opts.schema)); err != nil {
		return wrapErr(ctx, "migrate: lock", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s.opts.schema).Scan(&exists); err != nil {
		return wrapErr(ctx, "migrate: find schema", err)
	}
	schema := pgx.Identifier{s.opts.schema}.Sanitize()
	if !exists {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
			return wrapErr(ctx, "migrate: create schema", err)
		}
	}
	versions := schema + "." + versionTable
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+versions+
		` (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return wrapErr(ctx, "migrate: version table", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM `+versions).Scan(&current); err != nil {
		return wrapErr(ctx, "migrate: read version", err)
	}
	for v := current; v < len(migrations); v++ {
		for _, stmt := range migrations[v] {
			if _, err := tx.Exec(ctx, expandSchema(stmt, schema)); err != nil {
				return wrapErr(ctx, "migrate: apply version "+strconv.Itoa(v+1), err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+versions+` (version) VALUES ($1)`, v+1); err != nil {
			return wrapErr(ctx, "migrate: record version "+strconv.Itoa(v+1), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapErr(ctx, "migrate: commit", err)
	}
	return nil
}

// InstalledVersion returns the schema version recorded by [Store.Migrate]:
// 0 when it never ran on this schema.
func (s *Store) InstalledVersion(ctx context.Context) (int, error) {
	versions := pgx.Identifier{s.opts.schema, versionTable}.Sanitize()
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, versions).Scan(&exists); err != nil {
		return 0, wrapErr(ctx, "installed version", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM `+versions).Scan(&v); err != nil {
		return 0, wrapErr(ctx, "installed version", err)
	}
	return v, nil
}

// migrationLockKey is the advisory lock key of a schema's migrations: one
// per schema, so migrating one schema never waits for another's.
func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("sessionguard/pgstore/migrate:" + schema))
	return int64(h.Sum64())
}

func expandSchema(stmt, quotedSchema string) string {
	return strings.ReplaceAll(stmt, "{schema}", quotedSchema)
}
