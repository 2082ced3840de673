package sessionguard_test

// The shared helpers of the package's black-box tests: a fixed clock,
// token and payload builders, request views, and atkExpect/atkRun, which
// check one request on a required and an optional guard. Helpers that
// users want too live in package sgtest (BearerRequest, CookieRequest,
// Clock, Key.Mint).
//
// The atk prefix keeps them apart from the key-set tests' own helpers
// (keyset_helpers_test.go).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

const (
	atkIssA = "https://a.example.test"
	atkIssB = "https://b.example.test"
	atkAud  = "api.example.test"
)

// atkNow is the fixed clock of every verifier built here (WithClock), so
// that time boundaries are exact.
var atkNow = time.Unix(1_700_000_000, 0)

func atkClock() time.Time { return atkNow }

func atkB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func atkJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// atkDel deletes a member in atkClaims.
type atkDelete struct{}

var atkDel = atkDelete{}

// atkClaims returns valid claims of iss at atkNow (iat now, exp now+600),
// changed by name/value pairs (value atkDel removes the member).
func atkClaims(iss string, kv ...any) map[string]any {
	c := map[string]any{"iss": iss, "sub": "user-1", "iat": atkNow.Unix(), "exp": atkNow.Unix() + 600}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		if _, del := kv[i+1].(atkDelete); del {
			delete(c, name)
			continue
		}
		c[name] = kv[i+1]
	}
	return c
}

// atkP expands a raw JSON payload template: $ISS is the quoted issuer A,
// $EXP a valid expiry, $NOW the clock.
func atkP(tmpl string) []byte {
	r := strings.NewReplacer(
		"$ISS", strconv.Quote(atkIssA),
		"$EXP", strconv.FormatInt(atkNow.Unix()+600, 10),
		"$NOW", strconv.FormatInt(atkNow.Unix(), 10),
	)
	return []byte(r.Replace(tmpl))
}

// atkHdr is the ordinary header of k.
func atkHdr(k *sgtest.Key) []byte {
	return atkJSON(map[string]any{"alg": k.Alg, "kid": k.ID, "typ": "JWT"})
}

// atkRaw assembles a token from raw header and payload JSON and a literal
// signature segment.
func atkRaw(hdr, payload []byte, sig string) string {
	return atkB64(hdr) + "." + atkB64(payload) + "." + sig
}

// atkSignInput signs an already-encoded signing input with k (used to build
// tokens whose header or payload encoding is non-canonical but whose
// signature is nevertheless right for those exact bytes).
func atkSignInput(k *sgtest.Key, input string) string {
	return input + "." + atkB64(k.Sign([]byte(input)))
}

func atkSplit(tok string) (h, p, s string) {
	parts := strings.SplitN(tok, ".", 3)
	return parts[0], parts[1], parts[2]
}

// atkAs makes a copy of k that signs with alg and claims the kid id (to
// sign with a key under another key's name or algorithm).
func atkAs(k *sgtest.Key, alg, id string) *sgtest.Key {
	return &sgtest.Key{ID: id, Alg: alg, Signer: k.Signer, Secret: k.Secret}
}

// atkWant is the expected outcome of one request.
type atkWant struct {
	session bool
	notOurs bool
	code    error // outcome sentinel (ErrTryRefreshToken, ...)
	reason  error // reason sentinel (ErrSignatureInvalid, ...)
}

var (
	atkSession = atkWant{session: true}
	atkNotOurs = atkWant{notOurs: true}
)

func atkRefresh(reason error) atkWant {
	return atkWant{code: sessionguard.ErrTryRefreshToken, reason: reason}
}
func atkUnauth(reason error) atkWant {
	return atkWant{code: sessionguard.ErrUnauthorised, reason: reason}
}

func atkBearer(tok string) sessionguard.MapRequest {
	return sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}
}

func atkCookie(value string) sessionguard.MapRequest {
	return sessionguard.MapRequest{Header: http.Header{"Cookie": {"access_token=" + value}}}
}

func atkNew(t testing.TB, opts ...sessionguard.Option) *sessionguard.Verifier {
	t.Helper()
	v, err := sessionguard.New(append([]sessionguard.Option{sessionguard.WithClock(atkClock)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func atkReady(t testing.TB, v *sessionguard.Verifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}

func atkDescribe(s *sessionguard.Session, err error) string {
	if s != nil {
		return fmt.Sprintf("session(sub=%q), err=%v", s.Subject(), err)
	}
	return fmt.Sprintf("no session, err=%v", err)
}

// atkExpect checks req against w on a required and an optional guard.
func atkExpect(t *testing.T, v *sessionguard.Verifier, req sessionguard.Request, w atkWant) {
	t.Helper()
	for _, required := range []bool{true, false} {
		var g *sessionguard.Guard
		var err error
		label := "optional"
		if required {
			label = "required"
			g, err = v.Required()
		} else {
			g, err = v.Optional()
		}
		if err != nil {
			t.Fatal(err)
		}
		s, err := g.Check(context.Background(), req)
		switch {
		case w.session:
			if err != nil || s == nil {
				t.Errorf("%s guard: want a session, got %s", label, atkDescribe(s, err))
			}
		case w.notOurs && !required:
			if err != nil || s != nil {
				t.Errorf("%s guard: want no session and no error (not our token), got %s", label, atkDescribe(s, err))
			}
		case w.notOurs && required:
			var e *sessionguard.Error
			if s != nil || !errors.As(err, &e) || !errors.Is(err, sessionguard.ErrUnauthorised) ||
				!errors.Is(err, sessionguard.ErrNoToken) || e.TokenRejected {
				t.Errorf("%s guard: want UNAUTHORISED/no token (not our token), got %s", label, atkDescribe(s, err))
			}
		default:
			var e *sessionguard.Error
			if s != nil || !errors.As(err, &e) || !errors.Is(err, w.code) || !errors.Is(err, w.reason) {
				t.Errorf("%s guard: want %v / %v, got %s", label, w.code, w.reason, atkDescribe(s, err))
			}
		}
	}
}

type atkCase struct {
	name string
	tok  string
	want atkWant
}

func atkRun(t *testing.T, v *sessionguard.Verifier, cases []atkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			atkExpect(t, v, atkBearer(tc.tok), tc.want)
		})
	}
}

// atkStatic is a verifier for issuer A over a static JWKS of keys.
func atkStatic(t testing.TB, keys []*sgtest.Key, opts ...sessionguard.Option) *sessionguard.Verifier {
	t.Helper()
	return atkNew(t, append([]sessionguard.Option{
		sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(keys...))),
	}, opts...)...)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// take returns what was written and empties the buffer.
func (w *syncBuffer) take() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.b.String()
	w.b.Reset()
	return s
}
