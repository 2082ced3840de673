// Package redisstore is a [sessionissuer.Store] kept in Redis (6.2 or
// later), for several application instances sharing sessions
// (docs/lifecycle.md §7). It adds one dependency, go-redis v9. url is the
// server's address ("redis://:password@host:6379/0"), prefix the
// application's fixed key prefix ("myapp:sg:"):
//
//	store, err := redisstore.New(ctx, url, redisstore.WithPrefix(prefix))
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { // idempotent; safe from every instance at once
//		log.Fatal(err)
//	}
//	iss, err := sessionissuer.New(store, sessionissuer.WithIssuer("https://auth.example"))
//
// # Keys
//
// Every key starts with the prefix (default "sg:", see [WithPrefix]); data
// keys carry the layout version ([LayoutVersion]):
//
//	sg:layout              string  "1", written by [Store.Migrate] (SET NX)
//	sg:v1:s:<handle>       hash    one session row; TTL = ExpiresAt + retention
//	sg:v1:u:<subject>      zset    the subject's handles, scored by CreatedAt (µs)
//	sg:v1:revoked          zset    revocation feed: handles scored by RevokedAt (µs)
//	sg:v1:keys             hash    the signing key ring blob and its version
//	sg:v1:revoked          channel pub/sub revocations ("<µs> <handle>")
//
// # Consistency and atomicity
//
// Every write is one Lua script (refresh promotion is one EVALSHA), so it
// is atomic and serialised with every other command on the server; a read
// sees every write the server answered before it. Only the primary is read.
//
// # Durability
//
// The store is exactly as durable as the server is configured to be: with
// AOF and appendfsync always, an answered write is on disk before the
// answer, so an answered refresh survives a crash; with the default
// everysec about a second of writes can be lost; with no persistence a
// restart loses every session (users sign in again; nothing worse).
// Replication is asynchronous unless the server has min-replicas-to-write.
// These are the operator's choices (docs/stores.md).
//
// # Expiry
//
// Rows expire by TTL: [WithRetention] (default 15 minutes, the issuer's
// access lifetime) after ExpiresAt, or after RevokedAt for a revoked row,
// counted from the server's clock at the latest. [Store.DeleteExpired]
// therefore removes no row; it prunes subject index entries whose rows have
// expired, in bounded batches.
//
// # Revocation feed
//
// Revoke and RevokeSubject add each revocation to the feed sorted set and
// PUBLISH it from the same script. [Store.WatchRevocations] subscribes,
// waits for the confirmation, reads the feed from since, then follows the
// channel: nothing falls between the two, and other processes learn a
// revocation within a round trip.
package redisstore
