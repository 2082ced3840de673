package main

import (
	"context"
	"errors"
	"strings"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// The -store flag: memory, sqlite:PATH, postgres:URL or redis:URL. The SQL
// and Redis stores are migrated at start-up (idempotent, safe when several
// servers start together on one database), so several conformance servers
// can share one PostgreSQL or Redis (docs/stores.md, "Several instances").
// -store-namespace keeps tests apart on one server: the PostgreSQL schema
// or the Redis key prefix.

// storeSpec is a parsed -store flag.
type storeSpec struct{ kind, arg string }

func parseStore(spec, namespace string) (storeSpec, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	s := storeSpec{kind, arg}
	switch {
	case kind == "memory" && spec != "memory":
		return s, errors.New("-store memory takes no argument")
	case kind == "memory":
	case kind == "sqlite" || kind == "postgres" || kind == "redis":
		if arg == "" {
			return s, errors.New("-store " + kind + " needs a path or URL after the colon")
		}
	default:
		return s, errors.New("-store must be memory, sqlite:PATH, postgres:URL or redis:URL")
	}
	if namespace != "" && kind != "postgres" && kind != "redis" {
		return s, errors.New("-store-namespace is for postgres and redis stores only")
	}
	return s, nil
}

// openStore opens and migrates the store; closeStore releases it after the
// issuer is closed. Error texts never carry the URL (it may hold a
// password): the stores' own errors withhold it.
func openStore(s storeSpec, namespace string, accessTTL time.Duration) (st sessionissuer.Store, closeStore func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch s.kind {
	case "memory":
		return sessionissuer.NewMemoryStore(), func() {}, nil
	case "sqlite":
		ss, err := sqlitestore.New(s.arg)
		if err != nil {
			return nil, nil, err
		}
		if err := ss.Migrate(ctx); err != nil {
			_ = ss.Close()
			return nil, nil, err
		}
		return ss, func() { _ = ss.Close() }, nil
	case "postgres":
		var opts []pgstore.Option
		if namespace != "" {
			opts = append(opts, pgstore.WithSchema(namespace))
		}
		ps, err := pgstore.New(ctx, s.arg, opts...)
		if err != nil {
			return nil, nil, err
		}
		if err := ps.Migrate(ctx); err != nil {
			ps.Close()
			return nil, nil, err
		}
		return ps, ps.Close, nil
	default: // redis
		if accessTTL <= 0 {
			accessTTL = sessionissuer.DefaultAccessTTL
		}
		// Revoked rows and feed entries are kept one access lifetime, as
		// the store's documentation asks.
		opts := []redisstore.Option{redisstore.WithRetention(accessTTL)}
		if namespace != "" {
			opts = append(opts, redisstore.WithPrefix(namespace))
		}
		rs, err := redisstore.New(ctx, s.arg, opts...)
		if err != nil {
			return nil, nil, err
		}
		if err := rs.Migrate(ctx); err != nil {
			_ = rs.Close()
			return nil, nil, err
		}
		return rs, func() { _ = rs.Close() }, nil
	}
}
