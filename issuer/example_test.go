package sessionissuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// Start a session for an authenticated user and verify its access token
// with the core, in the same process.
func Example() {
	ctx := context.Background()
	iss, err := sessionissuer.New(sessionissuer.NewMemoryStore(), // SQLite, PostgreSQL or Redis in production
		sessionissuer.WithIssuer("https://auth.example.com"),
		// sessionissuer.WithMasterKey(key32), // configure one: see docs/issuer.md
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()
	if err := iss.Ready(ctx); err != nil { // keys loaded or generated
		fmt.Println(err)
		return
	}

	tok, err := iss.Create(ctx, "user-7", map[string]any{"role": "admin"}, sessionissuer.Device{UserAgent: "curl/8"})
	if err != nil {
		fmt.Println(err)
		return
	}

	v, err := sessionguard.New(iss.VerifierOptions()...)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	_ = v.Ready(ctx)
	guard, _ := v.Required(sessionguard.WithRevocationCheck(iss.Revocations()))

	req := sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok.AccessToken}}}
	s, err := guard.Check(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	role, _ := s.Claim("role")
	fmt.Println(s.Subject(), string(role), s.SessionID() == tok.Handle)

	_ = iss.Revoke(ctx, tok.Handle)
	_, err = guard.Check(ctx, req)
	fmt.Println(errors.Is(err, sessionguard.ErrSessionRevoked))
	// Output:
	// user-7 "admin" true
	// true
}

// Rotate the refresh token; replaying an old one after the grace period is
// theft and ends the session.
func ExampleIssuer_Refresh() {
	ctx := context.Background()
	iss, _ := sessionissuer.New(sessionissuer.NewMemoryStore(), sessionissuer.WithIssuer("https://auth.example.com"),
		sessionissuer.WithRefreshGrace(0), // for the example: any reuse after an answer is theft
		sessionissuer.WithTheftHook(func(_ context.Context, t sessionissuer.Theft) {
			fmt.Println("theft in the session of", t.Subject)
		}))
	defer iss.Close()

	tok, _ := iss.Create(ctx, "user-7", nil, sessionissuer.Device{})
	next, err := iss.Refresh(ctx, tok.RefreshToken)
	fmt.Println(err, next.Handle == tok.Handle, next.RefreshToken != tok.RefreshToken)

	_, err = iss.Refresh(ctx, tok.RefreshToken) // replayed
	fmt.Println(errors.Is(err, sessionissuer.ErrTokenTheft))
	_, err = iss.Refresh(ctx, next.RefreshToken) // the session is gone
	fmt.Println(errors.Is(err, sessionissuer.ErrInvalidRefreshToken))
	// Output:
	// <nil> true true
	// theft in the session of user-7
	// true
	// true
}

// A minimal login handler over net/http (header transfer; the HTTP layer
// does cookies, refresh, logout and the JWKS endpoint for you).
func Example_loginHandler() {
	iss, _ := sessionissuer.New(sessionissuer.NewMemoryStore(), sessionissuer.WithIssuer("https://auth.example.com"))
	defer iss.Close()

	login := func(w http.ResponseWriter, r *http.Request) {
		user, ok := checkPassword(r) // the application authenticates; the library does not
		if !ok {
			http.Error(w, "wrong user or password", http.StatusUnauthorized)
			return
		}
		tok, err := iss.Create(r.Context(), user, map[string]any{"role": "member"},
			sessionissuer.Device{UserAgent: r.UserAgent(), IP: r.RemoteAddr})
		switch {
		case errors.Is(err, sessionissuer.ErrStoreUnavailable):
			w.Header().Set("Retry-After", "1")
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		case err != nil:
			http.Error(w, "cannot start a session", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Access-Token", tok.AccessToken)
		h.Set("Refresh-Token", tok.RefreshToken)
		h.Set("Access-Control-Expose-Headers", "Access-Token, Refresh-Token")
		h.Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"session": map[string]any{
			"sub": tok.Subject, "sid": tok.Handle, "access_expires_at": tok.AccessExpiresAt.Unix()}})
	}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/auth/login", strings.NewReader("user=ada&password=correct+horse"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Access-Token") != "",
		sessionissuer.LooksLikeRefreshToken(rec.Header().Get("Refresh-Token")))
	// Output:
	// 200 no-store true true
}

func checkPassword(r *http.Request) (string, bool) {
	if err := r.ParseForm(); err != nil {
		return "", false
	}
	return r.PostForm.Get("user"), r.PostForm.Get("password") == "correct horse"
}

// The whole round: start a session, refresh it, verify its access token in
// process with the revocation check.
func Example_quickstart() {
	masterKey := make([]byte, 32) // in production: from a secret manager, never in the store
	err := quickstart(context.Background(), sessionissuer.NewMemoryStore(), masterKey, "user-7", "curl/8", "192.0.2.1")
	fmt.Println(err)
	// Output:
	// user-7 "admin"
	// <nil>
}

func quickstart(ctx context.Context, store sessionissuer.Store, masterKey []byte, userID, ua, ip string) error {
	iss, err := sessionissuer.New(store,
		sessionissuer.WithIssuer("https://auth.example.com"),
		sessionissuer.WithMasterKey(masterKey), // 32 bytes, kept outside the store
	)
	if err != nil {
		return err
	}
	defer iss.Close()

	tok, err := iss.Create(ctx, userID, map[string]any{"role": "admin"}, sessionissuer.Device{UserAgent: ua, IP: ip})
	if err != nil {
		return err
	}
	// Hand tok.AccessToken and tok.RefreshToken to the client. Later:
	tok, err = iss.Refresh(ctx, tok.RefreshToken) // ErrInvalidRefreshToken, ErrTokenTheft or ErrStoreUnavailable
	if err != nil {
		return err
	}

	if err := iss.Ready(ctx); err != nil { // the signing keys are loaded
		return err
	}
	v, err := sessionguard.New(iss.VerifierOptions()...)
	if err != nil {
		return err
	}
	defer v.Close()
	if err := v.Ready(ctx); err != nil { // the verifier loaded them
		return err
	}
	guard, err := v.Required(sessionguard.WithRevocationCheck(iss.Revocations()))
	if err != nil {
		return err
	}

	req := sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok.AccessToken}}}
	s, err := guard.Check(ctx, req)
	if err != nil {
		return err
	}
	role, _ := s.Claim("role")
	fmt.Println(s.Subject(), string(role))
	return nil
}
