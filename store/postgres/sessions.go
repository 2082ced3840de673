package pgstore

import (
	"context"
	"errors"
	"math"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// Column types: handle and subject are text, so that an operator can query
// them in psql; a value PostgreSQL cannot hold as text (invalid UTF-8 or a
// NUL byte), or a handle over 1024 bytes, is refused by Create and found
// nowhere by the lookups, without a round trip. The device fields come from the network (a user agent cut to
// 256 bytes may end inside a character), so they are bytea and kept exactly;
// payload and refresh state are bytea as well.

// Create inserts rec with version 1 (see [sessionissuer.Store.Create]). A
// row with the same handle is an error wrapping [ErrDuplicateHandle].
func (s *Store) Create(ctx context.Context, rec *sessionissuer.Record) error {
	if rec == nil {
		return errors.New("pgstore: create: nil record")
	}
	if !handleOK(rec.Handle) || !textOK(rec.Subject) {
		return errors.New("pgstore: create: handle and subject must be valid UTF-8 without NUL bytes, the handle at most 1024 bytes")
	}
	_, err := s.pool.Exec(ctx, s.q.create,
		rec.Handle, rec.Subject,
		ts(rec.CreatedAt), ts(rec.RefreshedAt), ts(rec.ExpiresAt), nullTS(rec.RevokedAt),
		[]byte(rec.UserAgent), []byte(rec.IP), []byte(rec.Label),
		notNil(rec.Payload), notNil(rec.Refresh))
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
			return wrapErr(ctx, "create", ErrDuplicateHandle)
		}
		return wrapErr(ctx, "create", err)
	}
	return nil
}

// ErrDuplicateHandle is wrapped by the error of [Store.Create] when a row
// with the same handle exists.
var ErrDuplicateHandle = errors.New("a session with this handle already exists")

// Get returns the row of handle or [sessionissuer.ErrNotFound].
func (s *Store) Get(ctx context.Context, handle string) (*sessionissuer.Record, error) {
	if !handleOK(handle) {
		return nil, s.noRow(ctx, sessionissuer.ErrNotFound)
	}
	rec, err := scanRecord(s.pool.QueryRow(ctx, s.q.get, handle))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, sessionissuer.ErrNotFound
	}
	if err != nil {
		return nil, wrapErr(ctx, "get", err)
	}
	return rec, nil
}

// SwapRefresh is the refresh compare-and-swap (see
// [sessionissuer.Store.SwapRefresh]): one conditional UPDATE ... RETURNING
// when the version matches, and a SELECT of the current row only when it
// does not.
func (s *Store) SwapRefresh(ctx context.Context, handle string, version uint64, u sessionissuer.RefreshUpdate) (*sessionissuer.Record, bool, error) {
	if !handleOK(handle) {
		return nil, false, s.noRow(ctx, nil)
	}
	if version <= math.MaxInt64 {
		rec, err := scanSwapped(s.pool.QueryRow(ctx, s.q.swap,
			handle, int64(version), notNil(u.Refresh), ts(u.RefreshedAt), ts(u.ExpiresAt)), handle, u)
		if err == nil {
			return rec, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return nil, false, wrapErr(ctx, "swap refresh", err)
		}
	}
	rec, err := scanRecord(s.pool.QueryRow(ctx, s.q.get, handle))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, wrapErr(ctx, "swap refresh: read current row", err)
	}
	return rec, false, nil
}

// SetPayload replaces the payload of a live row (see
// [sessionissuer.Store.SetPayload]); Version is unchanged.
func (s *Store) SetPayload(ctx context.Context, handle string, payload []byte) (bool, error) {
	if !handleOK(handle) {
		return false, s.noRow(ctx, nil)
	}
	tag, err := s.pool.Exec(ctx, s.q.setPayload, handle, notNil(payload))
	if err != nil {
		return false, wrapErr(ctx, "set payload", err)
	}
	return tag.RowsAffected() == 1, nil
}

// List returns the live rows of subject at now, newest first (ties by
// handle).
func (s *Store) List(ctx context.Context, subject string, now time.Time) ([]sessionissuer.Record, error) {
	if !textOK(subject) {
		return nil, s.noRow(ctx, nil)
	}
	rows, err := s.pool.Query(ctx, s.q.list, subject, ts(now))
	if err != nil {
		return nil, wrapErr(ctx, "list", err)
	}
	defer rows.Close()
	var out []sessionissuer.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, wrapErr(ctx, "list", err)
		}
		out = append(out, *rec)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "list", err)
	}
	return out, nil
}

// DeleteExpired removes at most limit rows expired or revoked at or before
// before (see [sessionissuer.Store.DeleteExpired]) in one bounded DELETE by
// primary key. Rows locked by a concurrent call are skipped, to be removed
// by a later one. A limit of 0 or less removes nothing.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		if err := ctx.Err(); err != nil {
			return 0, wrapErr(ctx, "delete expired", err)
		}
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, s.q.deleteEx, ts(before), int64(limit))
	if err != nil {
		return 0, wrapErr(ctx, "delete expired", err)
	}
	return int(tag.RowsAffected()), nil
}

// noRow answers a lookup that cannot match any row without asking the
// server, while still honouring a context that is already done.
func (s *Store) noRow(ctx context.Context, notFound error) error {
	if err := ctx.Err(); err != nil {
		return wrapErr(ctx, "lookup", err)
	}
	return notFound
}

// scanRecord reads the columns of recordColumns.
func scanRecord(row pgx.Row) (*sessionissuer.Record, error) {
	var (
		rec                     sessionissuer.Record
		created, refreshed, exp time.Time
		revoked                 pgtype.Timestamptz
		version                 int64
	)
	err := row.Scan(&rec.Handle, &rec.Subject, &created, &refreshed, &exp, &revoked,
		stringBytes{&rec.UserAgent}, stringBytes{&rec.IP}, stringBytes{&rec.Label},
		&rec.Payload, &rec.Refresh, &version)
	if err != nil {
		return nil, err
	}
	rec.CreatedAt, rec.RefreshedAt, rec.ExpiresAt = created.UTC(), refreshed.UTC(), exp.UTC()
	if revoked.Valid {
		rec.RevokedAt = revoked.Time.UTC()
	}
	rec.Version = uint64(version)
	return &rec, nil
}

// scanSwapped reads the columns of swappedColumns and completes the row
// with what the swap wrote, as PostgreSQL stored it (times cut to
// microseconds, in UTC).
func scanSwapped(row pgx.Row, handle string, u sessionissuer.RefreshUpdate) (*sessionissuer.Record, error) {
	var (
		rec     sessionissuer.Record
		created time.Time
		version int64
	)
	err := row.Scan(&rec.Subject, &created,
		stringBytes{&rec.UserAgent}, stringBytes{&rec.IP}, stringBytes{&rec.Label},
		&rec.Payload, &version)
	if err != nil {
		return nil, err
	}
	rec.Handle = handle
	rec.CreatedAt = created.UTC()
	rec.RefreshedAt = u.RefreshedAt.Truncate(time.Microsecond).UTC()
	rec.ExpiresAt = u.ExpiresAt.Truncate(time.Microsecond).UTC()
	rec.Refresh = append([]byte{}, u.Refresh...)
	rec.Version = uint64(version)
	return &rec, nil
}

// stringBytes scans a bytea column into a string with one copy.
type stringBytes struct{ s *string }

func (b stringBytes) ScanBytes(v []byte) error {
	*b.s = string(v)
	return nil
}

// ts passes t as a timestamptz. PostgreSQL keeps microseconds; pgx truncates
// the rest.
func ts(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }

// nullTS passes t as a timestamptz, the zero time as NULL.
func nullTS(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// notNil keeps a nil slice from becoming NULL in a NOT NULL column.
func notNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// maxHandleLen bounds handles (the issuer's are 22 bytes) so that every row
// can be revoked: a revocation's NOTIFY payload, which carries the handle,
// is limited to 8000 bytes, and a btree index entry to about 2700.
const maxHandleLen = 1024

func handleOK(h string) bool { return len(h) <= maxHandleLen && textOK(h) }

// textOK reports whether PostgreSQL can hold s in a text column.
func textOK(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return false
		}
	}
	return true
}
