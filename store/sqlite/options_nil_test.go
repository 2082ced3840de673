package sqlitestore_test

import (
	"path/filepath"
	"testing"

	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// A nil option is refused, as the core and the issuer refuse theirs.
func TestNewRefusesNilOption(t *testing.T) {
	s, err := sqlitestore.New(filepath.Join(t.TempDir(), "s.db"), nil)
	if err == nil || s != nil {
		if s != nil {
			s.Close()
		}
		t.Fatal("New with a nil option succeeded")
	}
}
