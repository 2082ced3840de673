package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	redisstore "github.com/sessionguard/sessionguard/store/redis"
)

// An issuer whose sessions live in Redis, shared by every instance of the
// application pointed at the same server and prefix.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// An application's URL is like "redis://:password@redis.internal:6379/0",
	// and its prefix fixed, as "myapp:sg:"; the test uses a random one.
	url, prefix := serverURL(), randomPrefix()
	defer cleanPrefix(nil, url, prefix)

	store, err := redisstore.New(ctx, url, redisstore.WithPrefix(prefix))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil { // idempotent; safe from every instance at once
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

// A store over a client configured by the application: here a Sentinel
// failover client, whose context deadlines reach the sockets.
func ExampleNewFromClient() {
	client := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            "sessions",
		SentinelAddrs:         []string{"sentinel-1:26379", "sentinel-2:26379", "sentinel-3:26379"},
		ContextTimeoutEnabled: true,
	})
	defer client.Close()
	store, err := redisstore.NewFromClient(client, redisstore.WithPrefix("myapp:sg:"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close() // leaves client open: it is the application's
}
