package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"math"
)

// LoadKeys returns the key ring blob and its version (0 and nil when none
// was ever stored).
func (s *Store) LoadKeys(ctx context.Context) ([]byte, uint64, error) {
	var (
		blob    []byte
		version int64
	)
	err := s.do(ctx, "load keys", func() error {
		return s.queryRow(ctx, s.r, `SELECT blob, version FROM keyring WHERE id = 1`).Scan(&blob, &version)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return blob, uint64(version), nil
}

// SwapKeys stores blob as version+1 if the stored version is version, in one
// statement.
func (s *Store) SwapKeys(ctx context.Context, version uint64, blob []byte) (bool, error) {
	if version >= math.MaxInt64 {
		return false, nil // never stored
	}
	if blob == nil {
		blob = []byte{} // the column is NOT NULL; an empty ring is still a ring
	}
	var n int64
	err := s.do(ctx, "swap keys", func() error {
		var (
			res sql.Result
			err error
		)
		if version == 0 {
			res, err = s.exec(ctx, s.w,
				`INSERT INTO keyring (id, version, blob) VALUES (1, 1, ?) ON CONFLICT (id) DO NOTHING`, blob)
		} else {
			res, err = s.exec(ctx, s.w,
				`UPDATE keyring SET version = version + 1, blob = ? WHERE id = 1 AND version = ?`, blob, int64(version))
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n > 0, err
}
