package pgstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// ErrClosed is returned by [Store.WatchRevocations] when [Store.Close] ends
// it.
var ErrClosed = errors.New("pgstore: store closed")

// watchPingTimeout bounds the liveness check of an idle watch connection.
const watchPingTimeout = 5 * time.Second

// WatchRevocations delivers every revocation with At at or after since, from
// any process sharing the schema, until ctx is done, the connection fails or
// [Store.Close] is called (see [sessionissuer.Store.WatchRevocations]).
//
// It opens a connection of its own (with the pool's settings, outside the
// pool) and, in this order, runs LISTEN on the schema's channel, then a
// catch-up SELECT of the rows revoked at or after since, then waits for
// notifications. Because LISTEN is in place before
// the SELECT reads, a revocation committed at any moment is either in the
// SELECT or notified after it (sometimes both: the same revocation may come
// twice). PostgreSQL delivers a notification as soon as the revoking
// transaction commits, well within the 2 s the contract allows. An idle
// connection is checked every [WithWatchPing] interval (default 15 s).
//
// Live notifications are delivered whatever their At: one from an instance
// whose clock lags may carry an At before since, and dropping it would
// leave a revoked session's access tokens honoured by the revocation check.
//
// On a lost connection it returns the error; the issuer calls it again
// (with since a little before the last revocation it saw), which connects
// anew once the server is back. It returns ctx.Err() when ctx ended and
// [ErrClosed] after Close.
func (s *Store) WatchRevocations(ctx context.Context, since time.Time, fn func(sessionissuer.Revocation)) error {
	if fn == nil {
		return errors.New("pgstore: watch revocations: nil fn")
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	select {
	case <-s.closed:
		return ErrClosed
	default:
	}
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()

	err := s.watch(ctx, since, fn)
	switch {
	case parent.Err() != nil:
		return parent.Err()
	case ctx.Err() != nil:
		return ErrClosed
	default:
		return err
	}
}

func (s *Store) watch(ctx context.Context, since time.Time, fn func(sessionissuer.Revocation)) error {
	conn, err := s.dialListener(ctx)
	if err != nil {
		return wrapErr(ctx, "watch revocations: connect", err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()

	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return wrapErr(ctx, "watch revocations: listen", err)
	}
	if err := s.catchUp(ctx, conn, since, fn); err != nil {
		return wrapErr(ctx, "watch revocations: catch up", err)
	}
	for {
		waitCtx, cancel := context.WithTimeout(ctx, s.opts.watchPing)
		n, err := conn.WaitForNotification(waitCtx)
		idle := waitCtx.Err() == context.DeadlineExceeded
		cancel()
		if err != nil {
			if ctx.Err() == nil && idle && !conn.IsClosed() {
				if err := s.ping(ctx, conn); err != nil {
					return wrapErr(ctx, "watch revocations: check idle connection", err)
				}
				continue // notifications that came during the check are buffered for the next wait
			}
			return wrapErr(ctx, "watch revocations", err)
		}
		if r, ok := parseNotification(n.Payload); ok && n.Channel == s.channel {
			fn(r)
		}
	}
}

// dialListener opens the watch's own connection, configured as the pool's
// (its BeforeConnect and AfterConnect hooks included) but outside it: once it
// is listening it must never be handed to another caller, and closing it
// ends the LISTEN. Its context watcher only sets a socket deadline: waiting
// for a notification is interrupted every idle interval, and a cancel
// request sent to an idle connection would achieve nothing.
func (s *Store) dialListener(ctx context.Context) (*pgx.Conn, error) {
	pcfg := s.pool.Config()
	cfg := pcfg.ConnConfig
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pc.Conn()}
	}
	if pcfg.BeforeConnect != nil {
		if err := pcfg.BeforeConnect(ctx, cfg); err != nil {
			return nil, err
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if pcfg.AfterConnect != nil {
		if err := pcfg.AfterConnect(ctx, conn); err != nil {
			closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = conn.Close(closeCtx)
			return nil, err
		}
	}
	return conn, nil
}

func (s *Store) catchUp(ctx context.Context, conn *pgx.Conn, since time.Time, fn func(sessionissuer.Revocation)) error {
	rows, err := conn.Query(ctx, s.q.catchUp, ts(since))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			handle string
			at     pgtype.Timestamptz
		)
		if err := rows.Scan(&handle, &at); err != nil {
			return err
		}
		fn(sessionissuer.Revocation{Handle: handle, At: at.Time.UTC()})
	}
	return rows.Err()
}

func (s *Store) ping(ctx context.Context, conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, watchPingTimeout)
	defer cancel()
	return conn.Ping(ctx)
}

// parseNotification reads the payload written by notifyPrefix and the
// revoking statement; anything else on the channel is ignored.
func parseNotification(payload string) (sessionissuer.Revocation, bool) {
	micros, handle, ok := strings.Cut(payload, " ")
	if !ok || handle == "" {
		return sessionissuer.Revocation{}, false
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return sessionissuer.Revocation{}, false
	}
	return sessionissuer.Revocation{Handle: handle, At: time.UnixMicro(us).UTC()}, true
}
