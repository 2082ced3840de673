package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
)

// An issuer whose sessions live in Redis, shared by every instance of the
// application pointed at the same server and prefix.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	prefix := randomPrefix() // an application would use a fixed one, as "myapp:sg:"
	store, err := redisstore.New(ctx, serverURL(),
		redisstore.WithPrefix(prefix),
		redisstore.WithRetention(15*time.Minute), // the issuer's access token lifetime
	)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	defer cleanPrefix(nil, serverURL(), prefix)
	if err := store.Migrate(ctx); err != nil { // idempotent: fine at every start
		log.Fatal(err)
	}

	iss, err := sessionissuer.New(store, sessionissuer.WithIssuer("https://auth.example"))
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	tok, err := iss.Create(ctx, "user-42", map[string]any{"role": "admin"}, sessionissuer.Device{UserAgent: "example"})
	if err != nil {
		log.Fatal(err)
	}
	next, err := iss.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := iss.List(ctx, "user-42", next.Handle)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("sessions:", len(sessions), "current:", sessions[0].Current)
	fmt.Println("same session after refresh:", next.Handle == tok.Handle)
	fmt.Println("refresh token rotated:", next.RefreshToken != tok.RefreshToken)
	// Output:
	// sessions: 1 current: true
	// same session after refresh: true
	// refresh token rotated: true
}
