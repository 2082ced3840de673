// Package storetest is the conformance suite every [sessionissuer.Store]
// runs (docs/lifecycle.md §7): the raw contract of each method, then the
// issuer's behaviour over that store (docs/lifecycle.md §3–4).
//
//	func TestMemoryStoreConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) sessionissuer.Store { return sessionissuer.NewMemoryStore() })
//	}
//
// The suite tolerates shared, long-lived servers: every test uses random
// subjects and handles and never assumes an empty store. newStore is called
// once per subtest; it may return a client of the same server each time.
// The key-ring subtest makes sure a ring exists (an issuer without a master
// key generates one), then writes that ring back when it is done (as a new
// version); run the suite against a namespace no live issuer uses.
package storetest
