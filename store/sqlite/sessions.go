package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// columns are a session row's columns in the order scanRecord reads them.
const columns = `handle, subject, created_at, refreshed_at, expires_at, revoked_at,
	user_agent, ip, label, payload, refresh, version`

func scanRecord(sc scanner) (*sessionissuer.Record, error) {
	var (
		rec                        sessionissuer.Record
		created, refreshed, expire int64
		revoked                    sql.NullInt64
		version                    int64
	)
	err := sc.Scan(&rec.Handle, &rec.Subject, &created, &refreshed, &expire, &revoked,
		&rec.UserAgent, &rec.IP, &rec.Label, &rec.Payload, &rec.Refresh, &version)
	if err != nil {
		return nil, err
	}
	rec.CreatedAt = decodeTime(created)
	rec.RefreshedAt = decodeTime(refreshed)
	rec.ExpiresAt = decodeTime(expire)
	if revoked.Valid {
		rec.RevokedAt = decodeTime(revoked.Int64)
	}
	rec.Version = uint64(version)
	return &rec, nil
}

// Create inserts rec as a new row with Version 1, in one statement.
// A row with the same handle already present is an error.
func (s *Store) Create(ctx context.Context, rec *sessionissuer.Record) error {
	if rec == nil {
		return errors.New("sqlitestore: create: nil record")
	}
	created, err1 := encodeTime(rec.CreatedAt)
	refreshed, err2 := encodeTime(rec.RefreshedAt)
	expires, err3 := encodeTime(rec.ExpiresAt)
	var revoked any
	if !rec.RevokedAt.IsZero() {
		n, err := encodeTime(rec.RevokedAt)
		if err != nil {
			return fmt.Errorf("sqlitestore: create: %w", err)
		}
		revoked = n
	}
	if err := errors.Join(err1, err2, err3); err != nil {
		return fmt.Errorf("sqlitestore: create: %w", err)
	}
	return s.do(ctx, "create", func() error {
		_, err := s.exec(ctx, s.w, `INSERT INTO sessions (`+columns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
			rec.Handle, rec.Subject, created, refreshed, expires, revoked,
			rec.UserAgent, rec.IP, rec.Label, rec.Payload, rec.Refresh)
		if isUniqueViolation(err) {
			return errors.New("a session with this handle already exists")
		}
		return err
	})
}

// Get returns the row of handle, revoked and expired rows included, or
// [sessionissuer.ErrNotFound].
func (s *Store) Get(ctx context.Context, handle string) (*sessionissuer.Record, error) {
	var rec *sessionissuer.Record
	err := s.do(ctx, "get", func() error {
		var err error
		rec, err = scanRecord(s.queryRow(ctx, s.r, `SELECT `+columns+` FROM sessions WHERE handle = ?`, handle))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sessionissuer.ErrNotFound
	}
	return rec, err
}

// SwapRefresh is one conditional UPDATE ... RETURNING (atomic: SQLite runs
// one writer at a time), followed by a SELECT only when it matched no row.
func (s *Store) SwapRefresh(ctx context.Context, handle string, version uint64, u sessionissuer.RefreshUpdate) (*sessionissuer.Record, bool, error) {
	refreshed, err1 := encodeTime(u.RefreshedAt)
	expires, err2 := encodeTime(u.ExpiresAt)
	if err := errors.Join(err1, err2); err != nil {
		return nil, false, fmt.Errorf("sqlitestore: swap refresh: %w", err)
	}
	var rec *sessionissuer.Record
	if version < math.MaxInt64 { // a larger version is never stored
		err := s.do(ctx, "swap refresh", func() error {
			var err error
			rec, err = s.queryOne(ctx, s.w, `UPDATE sessions
				SET refresh = ?, refreshed_at = ?, expires_at = ?, version = version + 1
				WHERE handle = ? AND version = ? AND revoked_at IS NULL
				RETURNING `+columns,
				u.Refresh, refreshed, expires, handle, int64(version))
			return err
		})
		if err != nil {
			return nil, false, err
		}
		if rec != nil {
			return rec, true, nil
		}
	}
	rec, err := s.Get(ctx, handle)
	if errors.Is(err, sessionissuer.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return rec, false, nil
}

// queryOne runs a statement that returns at most one row and steps it to
// the end, so that a commit failure of a writing statement (which SQLite
// reports at the last step) is an error here. No row is (nil, nil).
func (s *Store) queryOne(ctx context.Context, db *sql.DB, query string, args ...any) (*sessionissuer.Record, error) {
	rows, err := s.query(ctx, db, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var rec *sessionissuer.Record
	for rows.Next() {
		if rec, err = scanRecord(rows); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return rec, rows.Close()
}

// SetPayload replaces the payload of a row that is not revoked, in one
// statement; Version is unchanged.
func (s *Store) SetPayload(ctx context.Context, handle string, payload []byte) (bool, error) {
	var n int64
	err := s.do(ctx, "set payload", func() error {
		res, err := s.exec(ctx, s.w,
			`UPDATE sessions SET payload = ? WHERE handle = ? AND revoked_at IS NULL`, payload, handle)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}

// Revoke sets revoked_at of a row not yet revoked, in one statement whose
// trigger also appends it to the revocation feed.
func (s *Store) Revoke(ctx context.Context, handle string, at time.Time) (bool, error) {
	n, err := encodeTime(at)
	if err != nil || at.IsZero() {
		return false, errors.New("sqlitestore: revoke: revocation time must be set, in the years 1678 to 2261")
	}
	var affected int64
	err = s.do(ctx, "revoke", func() error {
		res, err := s.exec(ctx, s.w,
			`UPDATE sessions SET revoked_at = ? WHERE handle = ? AND revoked_at IS NULL`, n, handle)
		if err != nil {
			return err
		}
		affected, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, err
	}
	if affected > 0 {
		s.revoked.fire()
	}
	return affected > 0, nil
}

// RevokeSubject revokes, in one statement, every row of subject that is
// live at at, except keep.
func (s *Store) RevokeSubject(ctx context.Context, subject, keep string, at time.Time) ([]string, error) {
	n, err := encodeTime(at)
	if err != nil || at.IsZero() {
		return nil, errors.New("sqlitestore: revoke subject: revocation time must be set, in the years 1678 to 2261")
	}
	var handles []string
	err = s.do(ctx, "revoke subject", func() error {
		handles = handles[:0]
		rows, err := s.query(ctx, s.w, `UPDATE sessions SET revoked_at = ?1
			WHERE subject = ?2 AND handle <> ?3 AND revoked_at IS NULL AND expires_at > ?1
			RETURNING handle`, n, subject, keep)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				return err
			}
			handles = append(handles, h)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return rows.Close()
	})
	if err != nil {
		return nil, err
	}
	if len(handles) > 0 {
		s.revoked.fire()
	}
	return handles, nil
}

// List returns subject's rows that are neither revoked nor expired at now,
// newest CreatedAt first (ties by handle, for a stable order).
func (s *Store) List(ctx context.Context, subject string, now time.Time) ([]sessionissuer.Record, error) {
	var recs []sessionissuer.Record
	err := s.do(ctx, "list", func() error {
		recs = recs[:0]
		rows, err := s.query(ctx, s.r, `SELECT `+columns+` FROM sessions
			WHERE subject = ? AND revoked_at IS NULL AND expires_at > ?
			ORDER BY created_at DESC, handle`, subject, boundTime(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			rec, err := scanRecord(rows)
			if err != nil {
				return err
			}
			recs = append(recs, *rec)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// The sweep's statements. Each finds its rows through an index (the OR is a
// MULTI-INDEX OR over sessions_expires and sessions_revoked; a UNION would
// scan the table to merge in rowid order): TestSweepUsesIndexes checks.
const (
	sweepSessions = `DELETE FROM sessions WHERE rowid IN (
		SELECT rowid FROM sessions WHERE expires_at <= ?1 OR revoked_at <= ?1 LIMIT ?2)`
	sweepFeed = `DELETE FROM revocations WHERE seq IN (
		SELECT seq FROM revocations WHERE at <= ?1 LIMIT ?2)`
)

// DeleteExpired is a bounded sweep: one DELETE of at most limit session rows
// expired or revoked at or before before, then one of at most limit feed
// entries recorded at or before before. It returns the sessions removed.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	b := boundTime(before)
	var n int64
	err := s.do(ctx, "delete expired", func() error {
		res, err := s.exec(ctx, s.w, sweepSessions, b, limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, err
	}
	err = s.do(ctx, "delete expired: feed", func() error {
		_, err := s.exec(ctx, s.w, sweepFeed, b, limit)
		return err
	})
	return int(n), err
}
