package pgstore

import (
	"context"
	"errors"
	"math"

	"github.com/jackc/pgx/v5"
)

// LoadKeys returns the key ring blob and its version, or (nil, 0) when none
// was ever stored.
func (s *Store) LoadKeys(ctx context.Context) ([]byte, uint64, error) {
	var (
		blob    []byte
		version int64
	)
	err := s.pool.QueryRow(ctx, s.q.loadKeys).Scan(&blob, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, wrapErr(ctx, "load keys", err)
	}
	return blob, uint64(version), nil
}

// SwapKeys stores blob as version+1 if the stored version is version (0:
// none stored yet) and reports whether it did: an INSERT ... ON CONFLICT DO
// NOTHING for the first ring, a conditional UPDATE after that, so exactly
// one of several instances racing from the same version wins.
func (s *Store) SwapKeys(ctx context.Context, version uint64, blob []byte) (bool, error) {
	var err error
	var n int64
	switch {
	case version == 0:
		tag, e := s.pool.Exec(ctx, s.q.insertKeys, notNil(blob))
		n, err = tag.RowsAffected(), e
	case version <= math.MaxInt64:
		tag, e := s.pool.Exec(ctx, s.q.updateKeys, int64(version), notNil(blob))
		n, err = tag.RowsAffected(), e
	default:
		return false, s.noRow(ctx, nil)
	}
	if err != nil {
		return false, wrapErr(ctx, "swap keys", err)
	}
	return n == 1, nil
}
