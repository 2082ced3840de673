package pgstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// channelPrefix starts the name of the LISTEN/NOTIFY channel of a schema's
// revocations; the schema name completes it.
const channelPrefix = "sessionguard_rev_"

// Revoke sets the revocation time of handle's row to at if it is not yet
// revoked and reports whether it did (a zero at is refused: it would read
// back as "not revoked"). The same statement sends the NOTIFY that
// [Store.WatchRevocations] listens for, so the revocation reaches every
// watcher, in this process and others, when (and only if) it commits.
func (s *Store) Revoke(ctx context.Context, handle string, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, errors.New("pgstore: revoke: zero revocation time")
	}
	if !handleOK(handle) {
		return false, s.noRow(ctx, nil)
	}
	rows, err := s.pool.Query(ctx, s.q.revoke, handle, ts(at), s.channel, notifyPrefix(at))
	if err != nil {
		return false, wrapErr(ctx, "revoke", err)
	}
	handles, err := collectHandles(rows)
	if err != nil {
		return false, wrapErr(ctx, "revoke", err)
	}
	return len(handles) == 1, nil
}

// RevokeSubject revokes every live row of subject at at except keep's, in
// one statement that also notifies the watchers of each (see
// [sessionissuer.Store.RevokeSubject]), and returns the handles it revoked.
func (s *Store) RevokeSubject(ctx context.Context, subject, keep string, at time.Time) ([]string, error) {
	if at.IsZero() {
		return nil, errors.New("pgstore: revoke subject: zero revocation time")
	}
	if !textOK(subject) {
		return nil, s.noRow(ctx, nil)
	}
	if !handleOK(keep) {
		keep = "" // no row has that handle: keep nothing
	}
	rows, err := s.pool.Query(ctx, s.q.revokeSubject, subject, keep, ts(at), s.channel, notifyPrefix(at))
	if err != nil {
		return nil, wrapErr(ctx, "revoke subject", err)
	}
	handles, err := collectHandles(rows)
	if err != nil {
		return nil, wrapErr(ctx, "revoke subject", err)
	}
	return handles, nil
}

func collectHandles(rows pgx.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h, nil); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// A notification's payload is "<revoked_at in unix microseconds> <handle>";
// the handle is appended by the statement, one notification per row.
func notifyPrefix(at time.Time) string {
	return strconv.FormatInt(at.UnixMicro(), 10) + " "
}
