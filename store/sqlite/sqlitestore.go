package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrClosed is returned by calls on a [Store] after [Store.Close], and by a
// running [Store.WatchRevocations] when the Store is closed under it.
var ErrClosed = errors.New("sqlitestore: store closed")

// Store is a [sessionissuer.Store] in one SQLite file. It is safe for
// concurrent use, and several Stores (in one process or several) may share
// one file. Build it with [New], call [Store.Migrate] once at start-up, and
// [Store.Close] it when done.
type Store struct {
	// w is the single write connection: every statement that changes the
	// file runs on it, so writers of this Store queue in database/sql
	// (honouring their contexts) instead of polling SQLite's lock.
	w *sql.DB
	// r serves reads; in WAL mode they never wait for the writer.
	r *sql.DB

	cfg config

	// stmts caches prepared statements (key: the *sql.DB and the query):
	// parsing is most of a statement's CPU cost in SQLite.
	stmts sync.Map

	revoked *signal       // fired after each revocation committed in this process
	closed  chan struct{} // closed by Close
	once    sync.Once
}

var _ sessionissuer.Store = (*Store)(nil)

// New opens (creating if needed) the SQLite database file at path and returns
// a Store over it. It does not create or change the schema: call
// [Store.Migrate] before use.
//
// Every connection is opened with these pragmas:
//
//	busy_timeout = 0      lock waits are done by the Store itself (WithBusyTimeout),
//	                      so that a call's context can end them
//	synchronous  = FULL   each commit fsyncs the WAL before the call returns
//	foreign_keys          left off (the schema has no foreign keys)
//
// and the write connection opens its transactions with BEGIN IMMEDIATE
// (driver parameter _txlock=immediate). WAL mode (journal_mode=WAL) is a
// property of the file, set by Migrate.
//
// path must name a file on a local file system; "" and in-memory databases
// (":memory:", "file::memory:…") are refused, since each connection would see
// a database of its own.
func New(path string, opts ...Option) (*Store, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("sqlitestore: nil Option") // as the core treats nil options
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, errors.New("sqlitestore: path must be a plain file path (no in-memory database, no URI)")
	}

	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: path: %w", err)
	}
	base := "file:" + escapePath(filepath.ToSlash(abs)) +
		"?_pragma=busy_timeout(0)&_pragma=synchronous(" + cfg.synchronous + ")"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	r, err := sql.Open("sqlite", base)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	r.SetMaxOpenConns(cfg.readConns)
	r.SetMaxIdleConns(cfg.readConns)

	s := &Store{w: w, r: r, cfg: cfg, revoked: signalFor(abs), closed: make(chan struct{})}
	// Open the write connection now, so a path that cannot be opened is an
	// error here rather than at the first call.
	ctx, cancel := context.WithTimeout(context.Background(), cfg.busyTimeout)
	defer cancel()
	if err := s.do(ctx, "open", func() error { return w.PingContext(ctx) }); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the Store's connections; a running WatchRevocations returns
// ErrClosed. Calls after Close fail with ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		close(s.closed)
		s.stmts.Range(func(_, v any) bool {
			v.(*sql.Stmt).Close()
			return true
		})
		err = errors.Join(s.w.Close(), s.r.Close())
	})
	return err
}

type stmtKey struct {
	db    *sql.DB
	query string
}

// prepare returns db's prepared statement for query, preparing it on first
// use. A statement that fails to prepare (as before Migrate) is not cached.
func (s *Store) prepare(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	key := stmtKey{db, query}
	if st, ok := s.stmts.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	select {
	case <-s.closed: // Close may have run its Range already
		st.Close()
		return nil, ErrClosed
	default:
	}
	return st, nil
}

// exec runs query on db as a prepared statement.
func (s *Store) exec(ctx context.Context, db *sql.DB, query string, args ...any) (sql.Result, error) {
	st, err := s.prepare(ctx, db, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// query runs query on db as a prepared statement.
func (s *Store) query(ctx context.Context, db *sql.DB, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepare(ctx, db, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs query on db as a prepared statement.
func (s *Store) queryRow(ctx context.Context, db *sql.DB, query string, args ...any) scanner {
	st, err := s.prepare(ctx, db, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type scanner interface{ Scan(dest ...any) error }

// errRow is a row whose Scan fails, for queryRow's preparation error.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// escapePath makes path safe inside a SQLite URI ("file:" + path): the
// characters that URI syntax gives a meaning are percent-encoded, and SQLite
// decodes them back.
func escapePath(path string) string {
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '%', '?', '#', '&', '=':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	// filepath.Abs cleans the path, so no leading "//" (which SQLite would
	// read as an authority) is left.
	return b.String()
}

// do runs f, retrying while the file is locked by another connection
// (SQLITE_BUSY) for at most the busy timeout and never past ctx. Every
// error it returns names op and, when ctx ended, wraps ctx.Err().
func (s *Store) do(ctx context.Context, op string, f func() error) error {
	select {
	case <-s.closed:
		return fmt.Errorf("sqlitestore: %s: %w", op, ErrClosed)
	default:
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlitestore: %s: %w", op, err)
	}
	var (
		start = time.Now()
		delay = 200 * time.Microsecond
		timer *time.Timer
	)
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-s.closed: // closed under the call: "sql: database is closed"
			return fmt.Errorf("sqlitestore: %s: %w", op, ErrClosed)
		default:
		}
		if cerr := ctx.Err(); cerr != nil {
			if errors.Is(err, cerr) {
				return fmt.Errorf("sqlitestore: %s: %w", op, err)
			}
			return fmt.Errorf("sqlitestore: %s: %w (%w)", op, cerr, err)
		}
		if !isBusy(err) || time.Since(start)+delay > s.cfg.busyTimeout {
			if isBusy(err) {
				return fmt.Errorf("sqlitestore: %s: database locked by another connection for over %v: %w", op, s.cfg.busyTimeout, err)
			}
			return fmt.Errorf("sqlitestore: %s: %w", op, err)
		}
		if timer == nil {
			timer = time.NewTimer(delay)
			defer timer.Stop()
		} else {
			timer.Reset(delay)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sqlitestore: %s: %w", op, ctx.Err())
		case <-s.closed:
			return fmt.Errorf("sqlitestore: %s: %w", op, ErrClosed)
		case <-timer.C:
		}
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's "database is locked" (any extended
// SQLITE_BUSY code): nothing was done and the statement may be run again.
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// isUniqueViolation reports whether err is a PRIMARY KEY or UNIQUE conflict.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// Times are stored as INTEGER Unix nanoseconds, so they come back exactly as
// written (in UTC). That covers the years 1678 to 2261; the zero time is
// stored as zeroTime, which no representable time uses.
const zeroTime = math.MinInt64

var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// encodeTime is a stored time's column value.
func encodeTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return zeroTime, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, errors.New("time outside the years 1678 to 2261")
	}
	return t.UnixNano(), nil
}

// decodeTime is the inverse of encodeTime.
func decodeTime(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// boundTime is a time used only for comparison in a query, clamped to the
// stored range (the zero time is before every stored time but zeroTime).
func boundTime(t time.Time) int64 {
	switch {
	case t.IsZero() || t.Before(minTime):
		return zeroTime
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// signals holds one *signal per absolute file path, shared by every Store of
// this process on that path, so that a revocation through one Store wakes the
// watchers of all of them at once. Entries are never removed: one per file
// a process ever opens.
var signals sync.Map

func signalFor(abs string) *signal {
	v, _ := signals.LoadOrStore(abs, new(signal))
	return v.(*signal)
}

// signal wakes every goroutine waiting on it, each time it fires.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait returns a channel closed by the next fire.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
