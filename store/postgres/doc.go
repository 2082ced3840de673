// Package pgstore is a PostgreSQL [sessionissuer.Store]: long-term sessions
// and the signing key ring of a sessionguard issuer, shared by any number of
// application instances (docs/stores.md).
//
//	store, err := pgstore.New(ctx, url, pgstore.WithSchema(schema))
//	if err != nil {
//		fmt.Println(err)
//		return
//	}
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { // idempotent, safe from many instances at once
//		fmt.Println(err)
//		return
//	}
//
//	iss, err := sessionissuer.New(store, sessionissuer.WithIssuer("https://auth.example"))
//
// Design in brief:
//   - Tables live in one schema ([WithSchema], default "public"), versioned
//     ([SchemaVersion]) and created or upgraded only by [Store.Migrate],
//     which serialises concurrent callers with pg_advisory_xact_lock.
//   - A refresh is one conditional UPDATE ... RETURNING (compare-and-swap on
//     the row's version); a SELECT follows only when the version did not
//     match.
//   - Revocations are NOTIFYed in the same statement that revokes, and
//     [Store.WatchRevocations] LISTENs on a connection of its own, with a
//     catch-up SELECT after LISTEN so that nothing falls in between.
//   - Every method takes a context and returns an error wrapping ctx.Err()
//     once it is done; a success is durable with synchronous_commit=on (the
//     default, which [New] keeps unless the connection string says otherwise).
//
// The driver is github.com/jackc/pgx/v5 (pgxpool); [NewFromPool] accepts a
// pool the application already has.
package pgstore
