package storebench_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // the driver sqlitestore uses, for the raw UPDATE

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// rawOp is the bare write a refresh rests on: the refresh columns of the
// row handle, by key, with the store's own driver.
type rawOp func(ctx context.Context, handle string, u sessionissuer.RefreshUpdate) error

// target is one store under benchmark: st for SwapRefresh and the issuer,
// rawRows for creating the rows raw updates (the same store, or for SQLite
// a second file, so that the two writers never wait for one lock).
type target struct {
	st, rawRows sessionissuer.Store
	raw         rawOp
}

var targets = []struct {
	name string
	open func(b *testing.B) target
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
	{"redis", openRedis},
}

func serversRequired() bool { return os.Getenv("SESSIONGUARD_REQUIRE_SERVERS") == "1" }

func unreachable(b *testing.B, what string, err error) {
	b.Helper()
	if serversRequired() {
		b.Fatalf("%s required (SESSIONGUARD_REQUIRE_SERVERS=1) but unreachable: %v", what, err)
	}
	b.Skipf("%s unreachable (set SESSIONGUARD_%s_URL): %v", what, strings.ToUpper(what), err)
}

func ctxB(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	b.Cleanup(cancel)
	return ctx
}

// openSQLite: two files with the store's schema and pragmas (WAL,
// synchronous=FULL), one for the Store, one for the raw UPDATE through
// database/sql and the same driver (unprepared, as a user would write it).
func openSQLite(b *testing.B) target {
	dir := b.TempDir()
	open := func(name string) *sqlitestore.Store {
		st, err := sqlitestore.New(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		if err := st.Migrate(ctxB(b)); err != nil {
			b.Fatal(err)
		}
		return st
	}
	st, rawRows := open("store.db"), open("raw.db")
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "raw.db")+"?_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // one writer, as the Store has
	return target{st: st, rawRows: rawRows, raw: func(ctx context.Context, h string, u sessionissuer.RefreshUpdate) error {
		_, err := db.ExecContext(ctx, `UPDATE sessions SET refresh = ?, refreshed_at = ?, expires_at = ?, version = version + 1 WHERE handle = ?`,
			u.Refresh, u.RefreshedAt.UnixNano(), u.ExpiresAt.UnixNano(), h)
		return err
	}}
}

func postgresURL() string {
	if u := os.Getenv("SESSIONGUARD_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// withParams adds query parameters to a postgres:// URL.
func withParams(url string, params ...string) string {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + strings.Join(params, "&")
}

// openPostgres: a fresh schema; the Store and a pgxpool of the raw UPDATE,
// both with 16 connections (the 16-client runs) and synchronous_commit=on
// (each commit waits for its WAL flush, as the store ships).
func openPostgres(b *testing.B) target {
	url := withParams(postgresURL(), "pool_max_conns=16", "synchronous_commit=on")
	ctx := ctxB(b)
	pool, err := pgxpool.New(ctx, url)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		unreachable(b, "postgres", err)
	}
	b.Cleanup(pool.Close)
	schema := "sgbench_" + randomHex(6)
	b.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	})
	st, err := pgstore.New(ctx, url, pgstore.WithSchema(schema))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	update := "UPDATE " + pgx.Identifier{schema, "sessionguard_sessions"}.Sanitize() +
		" SET refresh = $2, refreshed_at = $3, expires_at = $4, version = version + 1 WHERE handle = $1"
	return target{st: st, rawRows: st, raw: func(ctx context.Context, h string, u sessionissuer.RefreshUpdate) error {
		_, err := pool.Exec(ctx, update, h, u.Refresh, u.RefreshedAt, u.ExpiresAt)
		return err
	}}
}

func redisURL() string {
	if u := os.Getenv("SESSIONGUARD_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// rawSwap is the least script a refresh needs on the store's row hash
// (docs/stores.md, Redis key layout): write rf ra ea, bump v, move the TTL.
// No version check and nothing returned, as the raw SQL UPDATEs.
var rawSwap = redis.NewScript(`
redis.call('HSET', KEYS[1], 'rf', ARGV[1], 'ra', ARGV[2], 'ea', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
`)

// retention is the store's default WithRetention: a row lives this long
// past its expiry.
const retention = 15 * time.Minute

// openRedis: a fresh key prefix; the Store and a go-redis client of the
// raw script call (EVALSHA), configured as the Store configures its own.
func openRedis(b *testing.B) target {
	o, err := redis.ParseURL(redisURL())
	if err != nil {
		b.Fatal(err)
	}
	o.ContextTimeoutEnabled = true
	o.PoolSize = 16
	client := redis.NewClient(o)
	b.Cleanup(func() { client.Close() })
	ctx := ctxB(b)
	if err := client.Ping(ctx).Err(); err != nil {
		unreachable(b, "redis", err)
	}
	prefix := "sgbench:" + randomHex(6) + ":"
	b.Cleanup(func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	})
	st, err := redisstore.New(ctx, withParams(redisURL(), "pool_size=16"), redisstore.WithPrefix(prefix))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if err := rawSwap.Load(ctx, client).Err(); err != nil {
		b.Fatal(err)
	}
	rows := prefix + "v" + strconv.Itoa(redisstore.LayoutVersion) + ":s:"
	us := func(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }
	return target{st: st, rawRows: st, raw: func(ctx context.Context, h string, u sessionissuer.RefreshUpdate) error {
		keepUntil := u.ExpiresAt.Add(retention).UnixMilli()
		return client.EvalSha(ctx, rawSwap.Hash(), []string{rows + h},
			u.Refresh, us(u.RefreshedAt), us(u.ExpiresAt), keepUntil).Err()
	}}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRows creates n live sessions in st and returns their handles.
func newRows(b *testing.B, st sessionissuer.Store, n int) []string {
	b.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	hs := make([]string, n)
	for i := range hs {
		h := make([]byte, 16)
		_, _ = rand.Read(h)
		rec := &sessionissuer.Record{
			Handle: base64.RawURLEncoding.EncodeToString(h), Subject: fmt.Sprintf("bench-%d", i),
			CreatedAt: now, RefreshedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour),
			UserAgent: "bench/1.0", IP: "192.0.2.1",
			Payload: []byte(`{"role":"user","tenant":"acme","scopes":["read","write"]}`),
			Refresh: make([]byte, 200),
		}
		if err := st.Create(ctxB(b), rec); err != nil {
			b.Fatal(err)
		}
		hs[i] = rec.Handle
	}
	return hs
}

// update is a refresh's write: a 200-byte state (the issuer's is about
// that size) and the sliding expiry.
func update() sessionissuer.RefreshUpdate {
	now := time.Now()
	return sessionissuer.RefreshUpdate{Refresh: make([]byte, 200), RefreshedAt: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
}
