package redisstore_test

import (
	"testing"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	"github.com/sessionguard/sessionguard/issuer/storetest"
)

// TestConformance runs the store conformance suite, raw contract and
// issuer behaviour, against the real server, each subtest under its own
// prefix.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sessionissuer.Store { return newStore(t) })
}
