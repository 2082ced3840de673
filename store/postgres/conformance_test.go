package pgstore_test

import (
	"testing"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	"github.com/sessionguard/sessionguard/issuer/storetest"
)

// TestConformance runs the store conformance suite, each subtest on a fresh,
// migrated schema of its own.
func TestConformance(t *testing.T) {
	needServer(t)
	storetest.Run(t, func(t *testing.T) sessionissuer.Store { return newStore(t) })
}
