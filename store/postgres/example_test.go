package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	pgstore "github.com/sessionguard/sessionguard/store/postgres"
)

// An issuer keeping its sessions in PostgreSQL: every application instance
// opens a Store on the same database and schema, and calls Migrate at
// start-up (concurrent calls are safe).
func Example() {
	ctx := context.Background()
	url := os.Getenv("SESSIONGUARD_POSTGRES_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	// A schema of the example's own, dropped at the end; an application
	// would use a fixed one (or the default, "public").
	schema := "example_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	defer dropExampleSchema(url, schema)

	store, err := pgstore.New(ctx, url, pgstore.WithSchema(schema))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil { // idempotent, safe from many instances at once
		fmt.Println(err)
		return
	}

	iss, err := sessionissuer.New(store, sessionissuer.WithIssuer("https://auth.example"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()

	login, err := iss.Create(ctx, "alice", map[string]any{"role": "admin"}, sessionissuer.Device{UserAgent: "example/1.0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	next, err := iss.Refresh(ctx, login.RefreshToken)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("refreshed:", next.Subject, next.Handle == login.Handle, next.RefreshToken != login.RefreshToken)

	sessions, _ := iss.List(ctx, "alice", login.Handle)
	fmt.Println("sessions:", len(sessions), sessions[0].UserAgent, sessions[0].Current)

	_ = iss.Revoke(ctx, login.Handle)
	_, err = iss.Refresh(ctx, next.RefreshToken)
	fmt.Println("after revoke:", errors.Is(err, sessionissuer.ErrInvalidRefreshToken))

	// Output:
	// refreshed: alice true true
	// sessions: 1 example/1.0 true
	// after revoke: true
}

func dropExampleSchema(url, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, url); err == nil {
		_, _ = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
		_ = conn.Close(ctx)
	}
}
