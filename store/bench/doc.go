// Package storebench holds the refresh benchmarks of the three store
// modules in one place, so that one run (make bench-stores) compares them
// on the same machine at the same moment. It has no API: everything is in
// its _test.go files.
//
// For each store (sqlite, postgres, redis), BenchmarkRefresh measures:
//
//	raw:    the bare store operation a refresh rests on, written by hand
//	        with the store's own driver against its documented schema or
//	        key layout: one UPDATE by key (SQLite, PostgreSQL), one script
//	        call (Redis)
//	store:  the store's SwapRefresh (version-checked, returns the row)
//	paired: raw and store alternated in one loop (their order swapped each
//	        iteration), reporting each one's mean and store/raw: on a
//	        machine shared with other work, two separate runs differ by
//	        more than the two calls do
//	issuer: (*sessionissuer.Issuer).Refresh over the store (state decode,
//	        rotation, MAC, the swap, an ES256 access token)
//
// and the same with 16 concurrent clients, each on sessions of its own
// (paired-16clients, issuer-16clients), with refreshes/s.
//
// PostgreSQL and Redis are the servers of SESSIONGUARD_POSTGRES_URL and
// SESSIONGUARD_REDIS_URL (docs/stores.md); a store whose server does not
// answer is skipped, unless SESSIONGUARD_REQUIRE_SERVERS=1.
package storebench
