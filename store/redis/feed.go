package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// feedPage is how many catch-up entries one read returns.
const feedPage = 1000

// errFeedSilent ends a watch whose server stopped answering pings.
var errFeedSilent = errors.New("redisstore: watch revocations: server stopped answering")

// WatchRevocations subscribes to the store's revocation channel, waits for
// the server to confirm the subscription, then reads the revocation feed
// (a sorted set scored by revocation time, kept for [WithRetention]) from
// since on and delivers it, then delivers what the channel publishes. As
// the subscription is in place before the feed is read, no revocation
// falls between the two; some arrive twice, which the contract allows.
//
// Pub/sub delivers a revocation to every process within a round trip of
// the script that made it. A silent subscription is pinged (see
// [WithFeedHealthCheck]). On any failure (the server gone, the connection
// reset, a ping unanswered) WatchRevocations returns the error and does not
// reconnect by itself: the caller watches again with an earlier since, and
// the feed fills the gap.
func (s *Store) WatchRevocations(ctx context.Context, since time.Time, fn func(sessionissuer.Revocation)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: watch revocations: %w", err)
	}
	ps := s.client.Subscribe(ctx)
	// The watch runs on its own goroutine so that a cancelled ctx returns
	// at once even while go-redis is still connecting (it holds the
	// subscription's lock then, and only puts deadlines on sockets).
	// deliver stops calling fn once WatchRevocations has returned.
	var (
		mu      sync.Mutex
		stopped bool
	)
	deliver := func(r sessionissuer.Revocation) {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			fn(r)
		}
	}
	done := make(chan error, 1)
	go func() {
		err := s.watch(ctx, ps, since, deliver)
		_ = ps.Close()
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		go func() { _ = ps.Close() }() // interrupts a blocked read
	}
	mu.Lock()
	stopped = true
	mu.Unlock()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("redisstore: watch revocations: %w", ctxErr)
	}
	return s.shape(ctx, "watch revocations", err)
}

func (s *Store) watch(ctx context.Context, ps *redis.PubSub, since time.Time, fn func(sessionissuer.Revocation)) error {
	if err := ps.Subscribe(ctx, s.channel); err != nil {
		return err
	}
	if err := s.awaitSubscribed(ctx, ps); err != nil {
		return err
	}
	sinceUS := encodeTime(since)
	if sinceUS == "" {
		sinceUS = "-inf"
	}
	if err := s.catchUp(ctx, sinceUS, fn); err != nil {
		return err
	}
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, s.cfg.healthCheck)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || ctx.Err() != nil {
				return err
			}
			if pinged {
				return errFeedSilent
			}
			if err := ps.Ping(ctx); err != nil {
				return err
			}
			pinged = true
			continue
		}
		pinged = false
		m, isMessage := msg.(*redis.Message)
		if !isMessage {
			continue // a pong or a subscription change
		}
		rev, ok := parseMessage(m.Payload)
		if ok && !rev.At.Before(since) {
			fn(rev)
		}
	}
}

// awaitSubscribed reads until the server confirms the subscription.
func (s *Store) awaitSubscribed(ctx context.Context, ps *redis.PubSub) error {
	for {
		msg, err := ps.ReceiveTimeout(ctx, s.cfg.healthCheck)
		if err != nil {
			return err
		}
		if sub, ok := msg.(*redis.Subscription); ok && sub.Kind == "subscribe" && sub.Channel == s.channel {
			return nil
		}
	}
}

// catchUp delivers the feed's entries from sinceUS on, a page at a time.
// A page starts at the last score seen, skipping the entries of that score
// already delivered, so equal scores (a RevokeSubject) never stall it.
func (s *Store) catchUp(ctx context.Context, sinceUS string, fn func(sessionissuer.Revocation)) error {
	minScore, skip := sinceUS, int64(0)
	for {
		var zs []redis.Z
		err := s.run(ctx, "read feed", func(ctx context.Context) error {
			var err error
			zs, err = s.client.ZRangeByScoreWithScores(ctx, s.feedKey, &redis.ZRangeBy{
				Min: minScore, Max: "+inf", Offset: skip, Count: feedPage,
			}).Result()
			return err
		})
		if err != nil {
			return err
		}
		for _, z := range zs {
			h, _ := z.Member.(string)
			at := time.UnixMicro(int64(z.Score)).UTC()
			fn(sessionissuer.Revocation{Handle: h, At: at})
		}
		if len(zs) < feedPage {
			return nil
		}
		last := zs[len(zs)-1].Score
		score := strconv.FormatFloat(last, 'f', -1, 64)
		if score == minScore {
			skip += int64(len(zs))
		} else {
			skip = 0
			for i := len(zs) - 1; i >= 0 && zs[i].Score == last; i-- {
				skip++
			}
			minScore = score
		}
	}
}

// parseMessage reads "<unix µs> <handle>", as revokeScript publishes.
func parseMessage(p string) (sessionissuer.Revocation, bool) {
	us, h, ok := strings.Cut(p, " ")
	if !ok || h == "" {
		return sessionissuer.Revocation{}, false
	}
	n, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		return sessionissuer.Revocation{}, false
	}
	return sessionissuer.Revocation{Handle: h, At: time.UnixMicro(n).UTC()}, true
}
