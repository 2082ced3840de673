package sessionissuer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Helpers of the signing-key tests: a settable clock, a key-only store and
// a verifier built from a JWKS document.

const testIssuer = "https://iss.test"

// testClock is a settable clock, safe for concurrent use.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var errNotInKeyStore = errors.New("keyStore: sessions are not implemented")

// noSessions is the session half of a Store, failing every call.
type noSessions struct{}

func (noSessions) Create(context.Context, *Record) error        { return errNotInKeyStore }
func (noSessions) Get(context.Context, string) (*Record, error) { return nil, errNotInKeyStore }
func (noSessions) SetPayload(context.Context, string, []byte) (bool, error) {
	return false, errNotInKeyStore
}
func (noSessions) Revoke(context.Context, string, time.Time) (bool, error) {
	return false, errNotInKeyStore
}
func (noSessions) List(context.Context, string, time.Time) ([]Record, error) {
	return nil, errNotInKeyStore
}
func (noSessions) DeleteExpired(context.Context, time.Time, int) (int, error) {
	return 0, errNotInKeyStore
}
func (noSessions) RevokeSubject(context.Context, string, string, time.Time) ([]string, error) {
	return nil, errNotInKeyStore
}
func (noSessions) SwapRefresh(context.Context, string, uint64, RefreshUpdate) (*Record, bool, error) {
	return nil, false, errNotInKeyStore
}
func (noSessions) WatchRevocations(context.Context, time.Time, func(Revocation)) error {
	return errNotInKeyStore
}

// keyStore is a Store whose key ring operations work, with fault injection.
type keyStore struct {
	noSessions
	mu        sync.Mutex
	cond      *sync.Cond
	blob      []byte
	ver       uint64
	loads     int
	swaps     int // successful SwapKeys
	failLoad  int // the next failLoad LoadKeys calls fail
	failSwap  int // the next failSwap SwapKeys calls fail
	applyFail bool
	barrier   int // the first barrier LoadKeys calls wait for each other
}

var errStoreDown = errors.New("keyStore: connection to db://secret@host refused")

func newKeyStore() *keyStore {
	s := &keyStore{}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *keyStore) LoadKeys(ctx context.Context) ([]byte, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loads++
	if s.loads <= s.barrier {
		s.cond.Broadcast()
		for s.loads < s.barrier {
			s.cond.Wait()
		}
	}
	if s.failLoad > 0 {
		s.failLoad--
		return nil, 0, errStoreDown
	}
	return append([]byte(nil), s.blob...), s.ver, nil
}

func (s *keyStore) SwapKeys(ctx context.Context, version uint64, blob []byte) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSwap > 0 {
		s.failSwap--
		if !s.applyFail {
			return false, errStoreDown
		}
		if version == s.ver { // the write lands, the answer is lost
			s.blob, s.ver = append([]byte(nil), blob...), s.ver+1
		}
		return false, errStoreDown
	}
	if version != s.ver {
		return false, nil
	}
	s.blob, s.ver = append([]byte(nil), blob...), s.ver+1
	s.swaps++
	return true, nil
}

func (s *keyStore) state() (blob []byte, ver uint64, swaps int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.blob...), s.ver, s.swaps
}

func (s *keyStore) set(f func(s *keyStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// newTestManager builds a manager on st with the clock; c's zero fields
// take the defaults.
func newTestManager(t testing.TB, st Store, clk *testClock, c keyConfig) *keyManager {
	t.Helper()
	if clk != nil {
		c.Now = clk.Now
	}
	m, err := newKeyManager(st, c)
	if err != nil {
		t.Fatalf("newKeyManager: %v", err)
	}
	t.Cleanup(m.close)
	return m
}

// mustStep runs one scheduling step and fails the test on error.
func mustStep(t testing.TB, m *keyManager) {
	t.Helper()
	if err := m.step(context.Background()); err != nil {
		t.Fatalf("step: %v", err)
	}
}

// claimsAt builds the claims of a token issued at now for ttl.
func claimsAt(now time.Time, ttl time.Duration) []byte {
	return fmt.Appendf(nil, `{"iss":%q,"sub":"user-1","iat":%d,"exp":%d}`, testIssuer, now.Unix(), now.Add(ttl).Unix())
}

// jwksVerifier verifies tokens with a JWKS document, as a remote verifier
// that fetched doc would, on the clock.
type jwksVerifier struct {
	doc   string
	guard *sessionguard.Guard
}

func (v *jwksVerifier) use(t testing.TB, doc []byte, clk *testClock) {
	t.Helper()
	if v.guard != nil && string(doc) == v.doc {
		return
	}
	opts := []sessionguard.Option{sessionguard.WithIssuer(testIssuer, sessionguard.StaticJWKS(doc))}
	if clk != nil {
		opts = append(opts, sessionguard.WithClock(clk.Now))
	}
	vf, err := sessionguard.New(opts...)
	if err != nil {
		t.Fatalf("sessionguard.New with the JWKS %s: %v", doc, err)
	}
	t.Cleanup(func() { _ = vf.Close() })
	g, err := vf.Required()
	if err != nil {
		t.Fatal(err)
	}
	v.doc, v.guard = string(doc), g
}

func (v *jwksVerifier) check(tok string) (*sessionguard.Session, error) {
	return v.guard.Check(context.Background(), sessionguard.MapRequest{Header: map[string][]string{"Authorization": {"Bearer " + tok}}})
}

// tokenHeader decodes the protected header of a compact JWS.
func tokenHeader(t testing.TB, tok string) map[string]string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("header of %q: %v", tok, err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("header %s: %v", raw, err)
	}
	return m
}

// jwksKids lists the kids of a JWKS document in order.
func jwksKids(t testing.TB, doc []byte) []string {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	out := make([]string, 0, len(set.Keys))
	for _, k := range set.Keys {
		kid, _ := k["kid"].(string)
		out = append(out, kid)
	}
	return out
}
