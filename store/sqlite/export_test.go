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
