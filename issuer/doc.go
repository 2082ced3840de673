// Package sessionissuer starts, refreshes, rotates and revokes sessions: the
// issuing side of sessionguard (docs/lifecycle.md, explained in
// docs/issuer.md), embedded in the application, with a pluggable [Store].
//
// The application authenticates the user, then starts a session and
// rotates it (Example_quickstart):
//
//	iss, err := sessionissuer.New(store,
//		sessionissuer.WithIssuer("https://auth.example.com"),
//		sessionissuer.WithMasterKey(masterKey), // 32 bytes, kept outside the store
//	)
//	if err != nil {
//		return err
//	}
//	defer iss.Close()
//
//	tok, err := iss.Create(ctx, userID, map[string]any{"role": "admin"}, sessionissuer.Device{UserAgent: ua, IP: ip})
//	if err != nil {
//		return err
//	}
//	// Hand tok.AccessToken and tok.RefreshToken to the client. Later:
//	tok, err = iss.Refresh(ctx, tok.RefreshToken) // ErrInvalidRefreshToken, ErrTokenTheft or ErrStoreUnavailable
//
// and verifies access tokens with the core, in process:
//
//	if err := iss.Ready(ctx); err != nil { // the signing keys are loaded
//		return err
//	}
//	v, err := sessionguard.New(iss.VerifierOptions()...)
//	if err != nil {
//		return err
//	}
//	defer v.Close()
//	if err := v.Ready(ctx); err != nil { // the verifier loaded them
//		return err
//	}
//	guard, err := v.Required(sessionguard.WithRevocationCheck(iss.Revocations()))
//
// Two sessions: the access token (a JWS, 15 minutes, verified anywhere
// from its signature) and the long-term session behind the refresh token
// (an opaque 256-bit secret, 30 days sliding, judged against the store row,
// rotated on every refresh with a 60-second grace; a replay after the grace
// revokes the session as theft, docs/lifecycle.md §3). The store keeps
// hashes of refresh tokens, never the tokens, and private keys encrypted
// under the master key.
//
// Errors are sentinels compared with errors.Is; none carries a token or a
// store's error text. A store failure is [ErrStoreUnavailable], never a
// logout.
package sessionissuer
