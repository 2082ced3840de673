package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// Store is a [sessionissuer.Store] in PostgreSQL. It is safe for concurrent
// use by any number of goroutines and by any number of processes sharing
// the database (each with its own Store on the same schema).
//
// Durability: every write is one statement in its own transaction (or, for
// [Store.Migrate], one transaction), committed before the method returns. A
// Store made by [New] runs its sessions with synchronous_commit=on unless
// the connection string sets synchronous_commit itself, so a returned
// success is on disk in the WAL (and on synchronous standbys, as
// configured) and survives a server crash. Setting synchronous_commit=off
// trades that for speed: a crash may then lose the last few hundred
// milliseconds of answered refreshes, whose clients' next refresh then
// fails (the store no longer knows the tokens they were given).
// [NewFromPool] leaves the pool's settings as they are.
//
// Consistency: each method is one statement at READ COMMITTED (the server
// default), and every compare-and-swap is a conditional UPDATE, so two
// swaps from the same version never both succeed, on one instance or many.
//
// Contexts: once a call's context is done it returns an error wrapping
// ctx.Err(). A Store made by [New] also has the server cancel the statement
// (a cancel request), so a write that timed out while waiting, for a row
// lock say, is not applied afterwards; one that had committed before the
// deadline stays committed (the error then means "outcome unknown").
type Store struct {
	pool    *pgxpool.Pool
	ownPool bool
	opts    options
	channel string
	q       queries

	closeOnce sync.Once
	closed    chan struct{}
}

var _ sessionissuer.Store = (*Store)(nil)

// New connects a pgxpool to connString (a postgres:// URL or key=value
// string as pgx reads it; pool settings such as pool_max_conns, default
// max(4, CPUs), go in it too) and returns a Store using it. New does not
// wait for the server: an unreachable server is reported by the first call
// that needs it ([Store.Ping], [Store.Migrate], ...), and the pool connects
// again by itself once the server is back. Call [Store.Migrate] once before
// use (any number of instances may call it at once). [Store.Close] closes
// the pool.
func New(ctx context.Context, connString string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		// pgx redacts passwords from this error only on a best-effort basis,
		// so its text is not passed on.
		return nil, errors.New("pgstore: the connection string cannot be parsed (its text is withheld: it may hold a password)")
	}
	if _, set := cfg.ConnConfig.RuntimeParams["synchronous_commit"]; !set {
		cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	}
	// When a context ends mid-statement, ask the server to cancel the
	// statement (and give up on the connection 0.5 s later if it does not
	// answer). pgx's default only closes the socket, and a server blocked on
	// a row lock does not notice that: the timed-out UPDATE would still
	// apply once the lock is released, after the caller was told it failed.
	cfg.ConnConfig.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: cancelGiveUp}
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr(ctx, "connect", err)
	}
	return newStore(pool, true, o), nil
}

// cancelGiveUp is how long after its context ends a statement may wait for
// the server to confirm its cancellation before the connection is dropped.
const cancelGiveUp = 500 * time.Millisecond

// NewFromPool returns a Store using pool, which stays the caller's:
// [Store.Close] does not close it, and its settings are used as they are:
// synchronous_commit (see [Store]) and the context watcher. For the
// behaviour [New] gives, set ConnConfig.BuildContextWatcherHandler to a
// [pgconn.CancelRequestContextWatcherHandler]: with pgx's default handler a
// statement whose context ended while it waited on the server (for a row
// lock, say) may still be applied after the call returned its error.
func NewFromPool(pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: NewFromPool needs a pool")
	}
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	return newStore(pool, false, o), nil
}

func applyOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return options{}, errors.New("pgstore: nil Option") // as the core treats nil options
		}
		if err := opt(&o); err != nil {
			return options{}, err
		}
	}
	return o, nil
}

func newStore(pool *pgxpool.Pool, own bool, o options) *Store {
	return &Store{
		pool:    pool,
		ownPool: own,
		opts:    o,
		channel: channelPrefix + o.schema,
		q:       buildQueries(o.schema),
		closed:  make(chan struct{}),
	}
}

// Schema returns the PostgreSQL schema holding the store's tables.
func (s *Store) Schema() string { return s.opts.schema }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return wrapErr(ctx, "ping", err)
	}
	return nil
}

// Close ends every running [Store.WatchRevocations] and, for a Store made by
// [New], closes the pool (waiting for calls in flight to finish). Calls after
// Close fail. Close may be called more than once.
func (s *Store) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.ownPool {
			s.pool.Close()
		}
	})
}

// wrapErr names the operation and, when ctx is done, wraps ctx.Err() too,
// so that errors.Is(err, context.DeadlineExceeded) holds whichever way pgx
// noticed the deadline. The texts of pgx and server errors hold no
// parameter values (the values travel separately, in binary), so no handle
// or refresh state reaches an error text.
func wrapErr(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("pgstore: %s: %w: %w", op, cerr, err)
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// queries holds every statement with the schema already quoted in, built
// once per Store.
type queries struct {
	create, get, swap, setPayload         string
	revoke, revokeSubject, list, deleteEx string
	loadKeys, insertKeys, updateKeys      string
	catchUp                               string
}

// recordColumns is the column list every statement returning a row uses, in
// the order scanRecord reads it.
const recordColumns = `handle, subject, created_at, refreshed_at, expires_at, revoked_at, user_agent, ip, label, payload, refresh, version`

// swappedColumns is what a successful swap returns: the columns it did not
// just write (revoked_at is NULL by its WHERE), read by scanSwapped. Fewer
// columns to send and decode on the refresh path.
const swappedColumns = `subject, created_at, user_agent, ip, label, payload, version`

func buildQueries(schema string) queries {
	sessions := pgx.Identifier{schema, sessionsTable}.Sanitize()
	keys := pgx.Identifier{schema, keysTable}.Sanitize()
	return queries{
		create: `INSERT INTO ` + sessions + ` (` + recordColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1)`,
		get:    `SELECT ` + recordColumns + ` FROM ` + sessions + ` WHERE handle = $1`,
		// The compare-and-swap: one conditional UPDATE. A row lock makes a
		// second UPDATE from the same version wait for the first, re-check
		// its WHERE against the new version and match nothing.
		swap: `UPDATE ` + sessions + ` SET refresh = $3, refreshed_at = $4, expires_at = $5, version = version + 1` +
			` WHERE handle = $1 AND version = $2 AND revoked_at IS NULL RETURNING ` + swappedColumns,
		setPayload: `UPDATE ` + sessions + ` SET payload = $2 WHERE handle = $1 AND revoked_at IS NULL`,
		// NOTIFY runs in the same statement, hence the same transaction, as
		// the UPDATE: a listener hears of a revocation exactly when it is
		// committed, and never of one that was rolled back.
		revoke: `WITH r AS (UPDATE ` + sessions + ` SET revoked_at = $2 WHERE handle = $1 AND revoked_at IS NULL RETURNING handle)` +
			` SELECT r.handle, pg_notify($3, $4 || r.handle)::text FROM r`,
		revokeSubject: `WITH r AS (UPDATE ` + sessions + ` SET revoked_at = $3 WHERE subject = $1 AND handle <> $2 AND revoked_at IS NULL AND expires_at > $3 RETURNING handle)` +
			` SELECT r.handle, pg_notify($4, $5 || r.handle)::text FROM r`,
		list: `SELECT ` + recordColumns + ` FROM ` + sessions +
			` WHERE subject = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, handle`,
		// Bounded by primary key; SKIP LOCKED lets several instances clean up
		// at once without queueing behind each other or behind a refresh.
		deleteEx: `DELETE FROM ` + sessions + ` WHERE handle IN (SELECT handle FROM ` + sessions +
			` WHERE expires_at <= $1 OR revoked_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		catchUp:    `SELECT handle, revoked_at FROM ` + sessions + ` WHERE revoked_at >= $1 ORDER BY revoked_at, handle`,
		loadKeys:   `SELECT blob, version FROM ` + keys + ` WHERE id = 1`,
		insertKeys: `INSERT INTO ` + keys + ` (id, blob, version) VALUES (1, $1, 1) ON CONFLICT (id) DO NOTHING`,
		updateKeys: `UPDATE ` + keys + ` SET blob = $2, version = version + 1 WHERE id = 1 AND version = $1`,
	}
}
