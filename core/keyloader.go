package sessionguard

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// userLoader adapts an application's KeyLoader: its keys are judged like
// those of a JWK Set.
type userLoader struct {
	l       KeyLoader
	maxKeys int
}

func (u userLoader) describe() string { return fmt.Sprintf("key loader %T", u.l) }

func (u userLoader) load(ctx context.Context) ([]*jose.Key, time.Duration, error) {
	pks, maxAge, err := u.l.LoadKeys(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, &loadError{source: "key loader", class: "timed out", cause: err}
		}
		return nil, 0, &loadError{source: "key loader", class: "failed", cause: err}
	}
	if len(pks) > u.maxKeys {
		pks = pks[:u.maxKeys]
	}
	keys := make([]*jose.Key, 0, len(pks))
	for _, pk := range pks {
		if k, err := jose.FromPublic(pk.ID, pk.Algorithm, pk.Key); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, 0, &loadError{source: "key loader", class: "no usable key"}
	}
	if maxAge <= 0 {
		maxAge = -1 // the source's refresh interval
	}
	return keys, maxAge, nil
}
