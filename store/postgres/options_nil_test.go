package pgstore_test

import (
	"context"
	"testing"

	pgstore "github.com/sessionguard/sessionguard/store/postgres"
)

// A nil option is refused before any connection is made, as the core and the
// issuer refuse theirs.
func TestNewRefusesNilOption(t *testing.T) {
	s, err := pgstore.New(context.Background(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable", nil)
	if err == nil || s != nil {
		if s != nil {
			s.Close()
		}
		t.Fatal("New with a nil option succeeded")
	}
}
