package sqlitestore_test

import (
	"testing"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	"github.com/sessionguard/sessionguard/issuer/storetest"
)

// TestConformance runs the store conformance suite, each subtest on a new file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sessionissuer.Store { return newStore(t) })
}
