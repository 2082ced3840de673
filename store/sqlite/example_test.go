package sqlitestore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sqlitestore "github.com/sessionguard/sessionguard/store/sqlite"
)

// An issuer over a SQLite file: open, migrate once at start-up, then start
// and refresh a session.
func Example() {
	dir, err := os.MkdirTemp("", "sqlitestore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	st, err := sqlitestore.New(filepath.Join(dir, "sessions.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil { // idempotent; safe from several processes at once
		fmt.Println(err)
		return
	}

	iss, err := sessionissuer.New(st,
		sessionissuer.WithIssuer("https://auth.example"),
		sessionissuer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
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
