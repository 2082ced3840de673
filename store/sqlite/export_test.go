package sqlitestore

import "context"

// Pragma reads a pragma's value on the Store's write connection.
func Pragma(ctx context.Context, s *Store, name string) (string, error) {
	var v string
	err := s.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v)
	return v, err
}

// WithSynchronous sets PRAGMA synchronous (benchmarks only).
var WithSynchronous = withSynchronous

// SweepQueries are DeleteExpired's statements.
var SweepQueries = []string{sweepSessions, sweepFeed}
