package sessionissuer

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzParseRefreshToken: the parser never panics, accepts only the
// canonical shape, and no string the issuer did not issue is ever honoured
// by Refresh (nor harms the session).
func FuzzParseRefreshToken(f *testing.F) {
	s := NewMemoryStore()
	i, err := New(s, WithIssuer("https://fuzz.example"))
	if err != nil {
		f.Fatal(err)
	}
	defer i.Close()
	ctx := context.Background()
	tok, err := i.Create(ctx, "fuzz", nil, Device{})
	if err != nil {
		f.Fatal(err)
	}
	issued := map[string]bool{tok.RefreshToken: true}
	child, err := i.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		f.Fatal(err)
	}
	issued[child.RefreshToken] = true
	for _, seed := range []string{tok.RefreshToken, child.RefreshToken, "", ".", "a.b", tok.AccessToken,
		strings.ToLower(tok.RefreshToken), tok.RefreshToken[:len(tok.RefreshToken)-1] + "B", tok.Handle + "." + strings.Repeat("A", bodyChars)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rt, ok := parseRefreshToken(in)
		if ok {
			if rt.String() != in {
				t.Fatalf("parse accepted a non-canonical form %q (re-encodes as %q)", in, rt.String())
			}
			if !LooksLikeRefreshToken(in) {
				t.Fatalf("parse accepted %q of the wrong shape", in)
			}
		}
		if issued[in] {
			return
		}
		got, err := i.Refresh(ctx, in)
		if err == nil || got != nil {
			t.Fatalf("Refresh honoured %q, which was never issued", in)
		}
		if !errors.Is(err, ErrInvalidRefreshToken) {
			t.Fatalf("Refresh(%q) = %v, want UNAUTHORISED", in, err)
		}
		if len(in) >= 16 && strings.Contains(err.Error(), in) {
			t.Fatalf("error text holds the input: %q", err)
		}
	})
}
