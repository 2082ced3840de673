package redisstore

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// RawSwap is what a hand-written caller of the swap script would do: one
// EVALSHA with go-redis, the reply left undecoded. The benchmarks compare
// [Store.SwapRefresh] with it.
func (s *Store) RawSwap(ctx context.Context, handle string, version uint64, u sessionissuer.RefreshUpdate) ([]any, error) {
	return s.client.EvalSha(ctx, swapScript.Hash(), []string{s.rowPrefix + handle},
		strconv.FormatUint(version, 10), strconv.FormatUint(version+1, 10),
		u.Refresh, encodeTime(u.RefreshedAt), encodeTime(u.ExpiresAt), s.keepUS,
	).Slice()
}

// Client exposes the store's client to the benchmarks.
func (s *Store) Client() redis.UniversalClient { return s.client }
