// Package sqlitestore is the embedded default [sessionissuer.Store]: the
// issuer's sessions, revocation feed and signing keys in one SQLite file, with
// the pure-Go driver modernc.org/sqlite (no cgo, nothing to run).
//
// Usage, at start-up (Migrate is explicit: New never changes the schema):
//
//	st, err := sqlitestore.New(path)
//	if err != nil {
//		return nil, nil, err
//	}
//	if err := st.Migrate(ctx); err != nil { // explicit; idempotent; safe from several processes at once
//		st.Close()
//		return nil, nil, err
//	}
//	iss, err := sessionissuer.New(st, sessionissuer.WithIssuer("https://auth.example.com"))
//
// # Durability
//
// The file is in WAL mode with synchronous=FULL: every write is one
// transaction whose WAL frames are fsynced before the call returns, so a
// success that was answered (a refresh, a revocation, a key swap) survives a
// process crash and a power loss of the machine. Durability is that of one
// disk on one machine: there is no replication.
//
// # Consistency
//
// Every operation is one SQLite statement (or, for [Store.Migrate], one
// immediate transaction), so each is atomic and serializable against every
// other connection to the file, in this process or another. SwapRefresh is a
// single conditional UPDATE ... RETURNING: two swaps from one version never
// both succeed. Reads see every write committed before they start
// (read-your-writes within the process and across processes).
//
// # Several processes
//
// Any number of processes on one machine may open one file (not over a
// network file system: SQLite's locks need a local one). Writes are
// serialized by SQLite's write lock; a call waits for another process's lock
// for at most the busy timeout ([WithBusyTimeout], default 5 s) and never
// past its context. The revocation feed is a table written by a trigger in
// the same statement as the revocation; [Store.WatchRevocations] delivers
// this Store's own revocations at once and polls for other processes' every
// poll interval ([WithPollInterval], default 500 ms), well within the 2 s the
// contract allows.
//
// # Schema
//
// The schema is versioned with PRAGMA user_version (currently 1) and applied
// only by [Store.Migrate]; docs/stores.md describes the tables.
package sqlitestore
