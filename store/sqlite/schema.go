package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SchemaVersion is the schema version this package writes and reads (the
// file's PRAGMA user_version after [Store.Migrate]).
const SchemaVersion = 1

// migrations[i] takes the schema from version i to version i+1; it has
// SchemaVersion entries. A released entry is never edited: a change is a new
// entry and a new SchemaVersion.
var migrations = []string{
	// 1: sessions, the revocation feed and the key ring.
	`
CREATE TABLE sessions (
	handle       TEXT    NOT NULL PRIMARY KEY,
	subject      TEXT    NOT NULL,
	created_at   INTEGER NOT NULL, -- Unix ns; refreshed_at, expires_at and revoked_at too
	refreshed_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	revoked_at   INTEGER,          -- NULL while live
	user_agent   TEXT    NOT NULL,
	ip           TEXT    NOT NULL,
	label        TEXT    NOT NULL,
	payload      BLOB,
	refresh      BLOB,             -- the issuer's opaque refresh state (hashes only)
	version      INTEGER NOT NULL
);
CREATE INDEX sessions_subject ON sessions (subject, created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

-- The revocation feed: one row per revocation, written by the trigger in the
-- statement that revokes. seq follows commit order (SQLite has one writer at
-- a time), so a poller that remembers the last seq it saw misses nothing.
CREATE TABLE revocations (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	handle TEXT    NOT NULL,
	at     INTEGER NOT NULL
);
CREATE INDEX revocations_at ON revocations (at);
CREATE TRIGGER sessions_revocation_feed
AFTER UPDATE OF revoked_at ON sessions
WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
BEGIN
	INSERT INTO revocations (handle, at) VALUES (NEW.handle, NEW.revoked_at);
END;

CREATE TABLE keyring (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL,
	blob    BLOB    NOT NULL
);
`,
}

// Migrate puts the file in WAL mode and brings its schema to
// [SchemaVersion]. It is idempotent and cheap when there is nothing to do,
// so every process may call it at start-up: the schema check and all
// changes run in one BEGIN IMMEDIATE transaction, so processes that start
// together on one file serialize, and exactly one applies each step. A file
// whose schema is newer than this package knows is an error (nothing is
// changed): run the newer code, or restore.
//
// The other methods assume Migrate has succeeded once on the file; before
// that they fail with an error.
func (s *Store) Migrate(ctx context.Context) error {
	// journal_mode=WAL is persistent in the file and cannot change inside a
	// transaction; when the file is already in WAL mode it is a no-op.
	err := s.do(ctx, "migrate: journal mode", func() error {
		var mode string
		if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
			return err
		}
		if !strings.EqualFold(mode, "wal") {
			return fmt.Errorf("journal mode is %q, not wal", mode)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.do(ctx, "migrate", func() error {
		tx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := migrateTx(ctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	})
}

func migrateTx(ctx context.Context, tx *sql.Tx) error {
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return err
	}
	if have > SchemaVersion {
		return fmt.Errorf("the file's schema version %d is newer than this package's %d", have, SchemaVersion)
	}
	for v := have; v < SchemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("schema version %d: %w", v+1, err)
		}
		// PRAGMA takes no bound parameters; v+1 is a small integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			return err
		}
	}
	return nil
}
