package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// start opens the store at path and an issuer over it, as an application
// does at start-up. The caller closes both (the issuer first).
func start(ctx context.Context, path string) (*sessionissuer.Issuer, *sqlitestore.Store, error) {
	st, err := sqlitestore.New(path)
	if err != nil {
		return nil, nil, err
	}
	if err := st.Migrate(ctx); err != nil { // explicit; idempotent; safe from several processes at once
		st.Close()
		return nil, nil, err
	}
	iss, err := sessionissuer.New(st, sessionissuer.WithIssuer("https://auth.example.com"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return iss, st, nil
}

// An issuer over a SQLite file: open, migrate, then start and refresh a
// session.
func Example() {
	dir, err := os.MkdirTemp("", "sqlitestore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	iss, st, err := start(ctx, filepath.Join(dir, "sessions.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	defer iss.Close()

	created, err := iss.Create(ctx, "alice", map[string]any{"role": "admin"}, sessionissuer.Device{UserAgent: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	refreshed, err := iss.Refresh(ctx, created.RefreshToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	sessions, err := iss.List(ctx, "alice", refreshed.Handle)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(refreshed.Handle == created.Handle, refreshed.RefreshToken != created.RefreshToken)
	fmt.Println(len(sessions), sessions[0].Current)
	// Output:
	// true true
	// 1 true
}
