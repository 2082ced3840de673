package sessionissuer_test

import (
	"testing"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	"github.com/sessionguard/sessionguard/issuer/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sessionissuer.Store { return sessionissuer.NewMemoryStore() })
}
