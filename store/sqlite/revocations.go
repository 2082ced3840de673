package sqlitestore

import (
	"context"
	"fmt"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// feedPage bounds how many feed entries one query reads, so that no read
// transaction stays open while fn runs or grows without bound.
const feedPage = 512

// WatchRevocations delivers the revocations recorded at or after since, in
// commit order, then every new one: at once for those made in this process
// (through any Store opened on the same path), within the poll interval
// ([WithPollInterval]) for those of other processes sharing the file. It
// returns ctx.Err() when ctx ends, [ErrClosed] (wrapped) when the Store is
// closed, or the error of a failed poll.
//
// Entries stay in the feed until [Store.DeleteExpired] removes those at or
// before its before argument.
func (s *Store) WatchRevocations(ctx context.Context, since time.Time, fn func(sessionissuer.Revocation)) error {
	// The feed's seq follows commit order, so everything committed after the
	// backlog's last seq is found by "seq > cursor". Those are delivered
	// whatever their At (a revocation from another machine's clock may carry
	// an older one); the backlog is filtered by since.
	//
	// woken is taken before the first query: a revocation this process
	// commits from here on closes it, so none waits for a tick.
	woken := s.revoked.wait()
	var last int64
	err := s.do(ctx, "watch revocations", func() error {
		return s.queryRow(ctx, s.r, `SELECT coalesce(max(seq), 0) FROM revocations`).Scan(&last)
	})
	if err != nil {
		return s.watchErr(ctx, err)
	}
	cursor, err := s.deliver(ctx, 0, last, boundTime(since), fn)
	if err != nil {
		return s.watchErr(ctx, err)
	}
	cursor = max(cursor, last)

	ticker := time.NewTicker(s.cfg.pollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return fmt.Errorf("sqlitestore: watch revocations: %w", ErrClosed)
		case <-ticker.C:
		case <-woken:
		}
		woken = s.revoked.wait()
		if cursor, err = s.deliver(ctx, cursor, -1, zeroTime, fn); err != nil {
			return s.watchErr(ctx, err)
		}
	}
}

// watchErr is ctx.Err() itself once ctx has ended, as the contract asks.
func (s *Store) watchErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err // do's error: ErrClosed when closed under it
}

// deliver passes fn the feed entries with seq in (after, upto] (upto < 0: no
// upper bound) and at >= since, page by page, and returns the last seq read.
func (s *Store) deliver(ctx context.Context, after, upto, since int64, fn func(sessionissuer.Revocation)) (int64, error) {
	if upto < 0 {
		upto = 1<<63 - 1
	}
	page := make([]feedEntry, 0, 16)
	for {
		page = page[:0]
		err := s.do(ctx, "watch revocations", func() error {
			page = page[:0]
			rows, err := s.query(ctx, s.r, `SELECT seq, handle, at FROM revocations
				WHERE seq > ? AND seq <= ? AND at >= ? ORDER BY seq LIMIT ?`,
				after, upto, since, feedPage)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var e feedEntry
				if err := rows.Scan(&e.seq, &e.handle, &e.at); err != nil {
					return err
				}
				page = append(page, e)
			}
			return rows.Err()
		})
		if err != nil {
			return after, err
		}
		for _, e := range page {
			fn(sessionissuer.Revocation{Handle: e.handle, At: decodeTime(e.at)})
			after = e.seq
		}
		if len(page) < feedPage {
			return after, nil
		}
	}
}

type feedEntry struct {
	seq    int64
	handle string
	at     int64
}
