package sessionguard_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// Fuzz targets. Each asserts that the verifier never panics and that every
// result is one of the defined outcomes: a session (whose token really is
// signed by a key of its issuer, checked here with the standard library),
// no session and no error (optional guard only), or a *sessionguard.Error
// with a known code and a reason that belongs to it.
//
// Run one with: go test -run '^$' -fuzz FuzzToken -fuzztime 20s .

// fzFixture is the verifier under fuzzing and the keys it trusts.
type fzFixture struct {
	v        *sessionguard.Verifier
	required *sessionguard.Guard
	optional *sessionguard.Guard
	keys     map[*sgtest.Key]string // key → issuer
	ed       *sgtest.Key            // issuer A's EdDSA key (fast to sign with)
	tokens   []string               // seed tokens of every kind
	signed   sync.Map               // session tokens already checked by fzCheckSession
}

const fzMarker = "has_session"

func fzSetup(tb testing.TB) *fzFixture {
	tb.Helper()
	rsaK := sgtest.NewKey("RS256", "rsa-1")
	ecK := sgtest.NewKey("ES256", "ec-1")
	edK := sgtest.NewKey("EdDSA", "ed-1")
	ecB := sgtest.NewKey("ES256", "ec-b")
	v, err := sessionguard.New(
		sessionguard.WithIssuer(atkIssA, sessionguard.StaticJWKS(sgtest.JWKS(rsaK, ecK, edK))),
		sessionguard.WithIssuer(atkIssB, sessionguard.StaticJWKS(sgtest.JWKS(ecB))),
		sessionguard.WithClock(atkClock),
		sessionguard.WithCookie("access_token", "at2"),
		sessionguard.WithRefreshMarker(fzMarker),
		sessionguard.WithClaims(sessionguard.ClaimFunc("not-banned", "banned", func(s *sessionguard.Session) bool {
			return s.Subject() != "banned"
		})),
	)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = v.Close() })
	fx := &fzFixture{v: v, ed: edK, keys: map[*sgtest.Key]string{rsaK: atkIssA, ecK: atkIssA, edK: atkIssA, ecB: atkIssB}}
	if fx.required, err = v.Required(); err != nil {
		tb.Fatal(err)
	}
	if fx.optional, err = v.Optional(); err != nil {
		tb.Fatal(err)
	}
	now := atkNow.Unix()
	c := func(kv ...any) map[string]any { return atkClaims(atkIssA, kv...) }
	evil := atkAs(sgtest.NewKey("ES256", "evil"), "ES256", "ec-1")
	fx.tokens = []string{
		rsaK.Mint(c()),
		ecK.Mint(c()),
		edK.Mint(c("aud", []string{"x", "y"}, "sid", "s1", "jti", "j1", "nbf", now-10)),
		ecB.Mint(atkClaims(atkIssB)),
		edK.Mint(c("exp", now-3600)),
		edK.Mint(c("nbf", now+3600)),
		edK.Mint(c("sub", atkDel)),
		edK.Mint(c("sub", "banned")),
		edK.Mint(c("exp", "9999999999")),
		edK.Mint(c("exp", atkDel)),
		edK.MintHeader(map[string]any{"alg": "EdDSA", "kid": "ed-1", "crit": []string{"x"}}, c()),
		edK.MintHeader(map[string]any{"alg": "EdDSA", "kid": "ed-1", "b64": false}, c()),
		edK.MintHeader(map[string]any{"alg": "EdDSA"}, c()),
		edK.MintHeader(map[string]any{"alg": "ES256", "kid": "ed-1"}, c()),
		edK.MintHeader(map[string]any{"alg": "EdDSA", "kid": "../../etc/passwd"}, c()),
		edK.MintHeader(map[string]any{"alg": "none"}, c()),
		evil.Mint(c()),
		ecK.Mint(atkClaims(atkIssB)),
		rsaK.Mint(atkClaims("https://other.example.test")),
		atkRaw([]byte(`{"alg":"none"}`), atkJSON(c()), ""),
	}
	return fx
}

// fzMutations returns a few mechanical mutations of tok for seed corpora.
func fzMutations(tok string) []string {
	h, p, s := atkSplit(tok)
	out := []string{
		h + "." + p + ".",
		h + "." + p,
		tok + "." + s,
		strings.ReplaceAll(tok, "-", "+"),
		tok + "=",
		p + "." + h + "." + s,
		strings.ToUpper(tok),
	}
	for _, i := range []int{0, len(h) / 2, len(h) + 1 + len(p)/2, len(tok) - 1} {
		b := []byte(tok)
		b[i] ^= 0x01
		out = append(out, string(b))
	}
	return out
}

// fzReasons maps every reason to the only code it may come with.
var fzReasons = map[error]sessionguard.Code{
	sessionguard.ErrNoToken:                sessionguard.CodeUnauthorised,
	sessionguard.ErrRefreshMarker:          sessionguard.CodeTryRefreshToken,
	sessionguard.ErrTokenExpired:           sessionguard.CodeTryRefreshToken,
	sessionguard.ErrTokenNotYetValid:       sessionguard.CodeTryRefreshToken,
	sessionguard.ErrSignatureInvalid:       sessionguard.CodeTryRefreshToken,
	sessionguard.ErrUnknownKey:             sessionguard.CodeTryRefreshToken,
	sessionguard.ErrAlgorithmMismatch:      sessionguard.CodeTryRefreshToken,
	sessionguard.ErrUnsupportedHeader:      sessionguard.CodeTryRefreshToken,
	sessionguard.ErrMalformedClaims:        sessionguard.CodeUnauthorised,
	sessionguard.ErrMissingExpiry:          sessionguard.CodeUnauthorised,
	sessionguard.ErrMissingSubject:         sessionguard.CodeUnauthorised,
	sessionguard.ErrAudienceMismatch:       sessionguard.CodeUnauthorised,
	sessionguard.ErrIssuerMismatch:         sessionguard.CodeUnauthorised,
	sessionguard.ErrLifetimeTooLong:        sessionguard.CodeUnauthorised,
	sessionguard.ErrMissingClaim:           sessionguard.CodeUnauthorised,
	sessionguard.ErrClaimValidation:        sessionguard.CodeInvalidClaims,
	sessionguard.ErrCrossOrigin:            sessionguard.CodeCrossOriginRequest,
	sessionguard.ErrDuplicateAuthorization: sessionguard.CodeInvalidRequest,
	sessionguard.ErrKeySetNotLoaded:        sessionguard.CodeKeysUnavailable,
}

var fzSentinels = map[sessionguard.Code]error{
	sessionguard.CodeUnauthorised:       sessionguard.ErrUnauthorised,
	sessionguard.CodeTryRefreshToken:    sessionguard.ErrTryRefreshToken,
	sessionguard.CodeInvalidClaims:      sessionguard.ErrInvalidClaims,
	sessionguard.CodeCrossOriginRequest: sessionguard.ErrCrossOriginRequest,
	sessionguard.CodeInvalidRequest:     sessionguard.ErrInvalidRequest,
	sessionguard.CodeKeysUnavailable:    sessionguard.ErrKeysUnavailable,
}

// fzCheck runs req through both guards and checks the outcome; it returns
// the required guard's session (nil when none).
func fzCheck(t *testing.T, fx *fzFixture, req sessionguard.Request) *sessionguard.Session {
	t.Helper()
	var sessions [2]*sessionguard.Session
	var codes [2]sessionguard.Code
	for i, g := range []*sessionguard.Guard{fx.required, fx.optional} {
		s, err := g.Check(context.Background(), req)
		sessions[i] = s
		switch {
		case s != nil:
			if err != nil {
				t.Fatalf("session and error %v together", err)
			}
			fzCheckSession(t, fx, s)
		case err == nil:
			if g.IsRequired() {
				t.Fatal("required guard: no session and no error")
			}
		default:
			var e *sessionguard.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *sessionguard.Error", err, err)
			}
			code, known := fzReasons[e.Reason]
			if !known || code != e.Code {
				t.Fatalf("unknown code/reason pair %q / %v", e.Code, e.Reason)
			}
			if !errors.Is(err, fzSentinels[e.Code]) || !errors.Is(err, e.Reason) {
				t.Fatalf("errors.Is fails for %v", err)
			}
			if (e.Code == sessionguard.CodeInvalidClaims) != (len(e.Claims) > 0) {
				t.Fatalf("claims %v with code %s", e.Claims, e.Code)
			}
			codes[i] = e.Code
			r := g.Render(err)
			if r.Status < 400 || r.Status > 599 || !json.Valid(r.Body) || !bytes.Contains(r.Body, []byte(`"error":"`+string(e.Code)+`"`)) {
				t.Fatalf("bad response %d %s for %v", r.Status, r.Body, err)
			}
		}
	}
	// The two guards differ only in what "nothing selected" means.
	if (sessions[0] == nil) != (sessions[1] == nil) {
		t.Fatal("required and optional guards disagree on the session")
	}
	if codes[1] != "" && codes[0] != codes[1] {
		t.Fatalf("required %s, optional %s", codes[0], codes[1])
	}
	if codes[0] != "" && codes[1] == "" && sessions[1] == nil {
		// Optional no-session: the required guard must say "no token".
		if codes[0] != sessionguard.CodeUnauthorised {
			t.Fatalf("optional no session, required %s", codes[0])
		}
	}
	return sessions[0]
}

// fzCheckSession checks a session against the standard library: its token
// is signed by a trusted key of its issuer under the header's alg, and its
// claims are acceptable.
func fzCheckSession(t *testing.T, fx *fzFixture, s *sessionguard.Session) {
	t.Helper()
	tok := s.Token()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("session token with %d segments", len(parts))
	}
	strict := base64.RawURLEncoding.Strict()
	hdrJSON, err1 := strict.DecodeString(parts[0])
	payload, err2 := strict.DecodeString(parts[1])
	sig, err3 := strict.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("session token is not canonical base64url: %q", tok)
	}
	hdr := fzObject(t, hdrJSON)
	claims := fzObject(t, payload)
	alg, _ := hdr["alg"].(string)
	kid, hasKid := hdr["kid"].(string)
	if _, ok := hdr["crit"]; ok {
		t.Fatal("session from a token with crit")
	}
	if b, ok := hdr["b64"]; ok && b != true {
		t.Fatal("session from a token with b64 not true")
	}
	iss, _ := claims["iss"].(string)
	if iss != s.Issuer() {
		t.Fatalf("issuer %q, session says %q", iss, s.Issuer())
	}
	if _, ok := fx.signed.Load(tok); ok {
		return // this exact token was checked already
	}
	verified := false
	for k, kIss := range fx.keys {
		if kIss != iss || k.Alg != alg || (hasKid && k.ID != kid) {
			continue
		}
		if fzStdVerify(k, parts[0]+"."+parts[1], sig) {
			verified = true
		}
	}
	if !verified {
		t.Fatalf("SESSION FROM A TOKEN NO TRUSTED KEY SIGNED: %q", tok)
	}
	sub, ok := claims["sub"].(string)
	if !ok || sub == "" || sub != s.Subject() {
		t.Fatalf("sub %v, session subject %q", claims["sub"], s.Subject())
	}
	if sub == "banned" {
		t.Fatal("claim validator bypassed")
	}
	now := float64(atkNow.Unix())
	exp, ok := fzNumber(claims["exp"])
	if !ok || exp < 0 || exp > 253402300799 || now >= exp+30 {
		t.Fatalf("session with exp %v", claims["exp"])
	}
	for _, name := range []string{"nbf", "iat"} {
		if raw, present := claims[name]; present {
			f, ok := fzNumber(raw)
			if !ok || f < 0 || f > 253402300799 || f > now+30 {
				t.Fatalf("session with %s %v", name, raw)
			}
		}
	}
	fx.signed.Store(tok, struct{}{}) // every check passed
}

// fzObject decodes a JSON object keeping numbers exact; it fails the test
// when data is not one (a session's header and payload always are).
func fzObject(t *testing.T, data []byte) map[string]any {
	t.Helper()
	if !json.Valid(data) {
		t.Fatalf("session token part is not JSON: %q", data)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		t.Fatalf("session token part is not a JSON object: %q", data)
	}
	return m
}

func fzNumber(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil
}

// fzStdVerify checks sig over input with the standard library.
func fzStdVerify(k *sgtest.Key, input string, sig []byte) bool {
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		d := sha256.Sum256([]byte(input))
		return k.Alg == "RS256" && rsa.VerifyPKCS1v15(p, crypto.SHA256, d[:], sig) == nil
	case *ecdsa.PublicKey:
		if k.Alg != "ES256" || len(sig) != 64 {
			return false
		}
		d := sha256.Sum256([]byte(input))
		return ecdsa.Verify(p, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case ed25519.PublicKey:
		return k.Alg == "EdDSA" && ed25519.Verify(p, []byte(input), sig)
	}
	return false
}

func FuzzAuthorizationHeader(f *testing.F) {
	fx := fzSetup(f)
	for _, tok := range fx.tokens {
		f.Add("Bearer " + tok)
	}
	for _, tok := range fzMutations(fx.tokens[0]) {
		f.Add("Bearer " + tok)
	}
	for _, s := range []string{
		"", "Bearer", "Bearer ", "Bearer  ", "bearer " + fx.tokens[1], "BEARER\t" + fx.tokens[1],
		"Basic dXNlcjpwYXNz", "Bearer a.b.c", "Bearer ..", "Bearer " + strings.Repeat("a", 9000),
		"Bearer eyJhbGciOiJub25lIn0.e30.", "Bearer   " + fx.tokens[2] + " ", "DPoP " + fx.tokens[0],
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		req := sessionguard.MapRequest{Header: http.Header{"Authorization": {value}}}
		if s := fzCheck(t, fx, req); s != nil {
			if s.Source() != sessionguard.SourceHeader || !strings.HasSuffix(value, s.Token()) {
				t.Fatalf("session source %v token not from the header", s.Source())
			}
		}
	})
}

func FuzzCookieHeader(f *testing.F) {
	fx := fzSetup(f)
	valid := fx.tokens[0]
	for _, tok := range fx.tokens {
		f.Add("access_token="+tok, false)
	}
	for _, s := range []string{
		"", ";", "=", "access_token", "access_token=", "access_token=\"\"",
		"a=b; access_token=" + valid,
		"access_token=\"" + valid + "\"",
		"access_token=" + fx.tokens[4] + "; access_token=" + valid,
		"access_token=x; access_token=y; access_token=z; access_token=w; access_token=" + valid,
		"at2=" + valid + "; access_token=" + fx.tokens[4],
		fzMarker + "=1",
		fzMarker + "; access_token=garbage",
		"access_token=" + strings.ReplaceAll(valid, ".", "%2E"),
		"  access_token =" + valid,
		"access_token=" + valid + ";;;;",
		"\taccess_token=\t" + valid + "\t",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, cookie string, unsafe bool) {
		req := sessionguard.MapRequest{Header: http.Header{"Cookie": {cookie}}}
		if unsafe {
			req.RequestMethod = http.MethodPost
			req.RequestHost = "app.example.test"
			req.Header["Origin"] = []string{"https://evil.example.test"}
		}
		if s := fzCheck(t, fx, req); s != nil {
			if unsafe {
				t.Fatal("session on a cross-origin unsafe request")
			}
			if s.Source() != sessionguard.SourceCookie || !strings.Contains(cookie, s.Token()) {
				t.Fatalf("session source %v token not from the cookie", s.Source())
			}
		}
	})
}

func FuzzToken(f *testing.F) {
	fx := fzSetup(f)
	for i, tok := range fx.tokens {
		f.Add(tok, false)
		f.Add(`"`+tok+`"`, true)
		for j, m := range fzMutations(tok) {
			f.Add(m, (i+j)%2 == 0)
		}
	}
	for _, s := range []string{"", ".", "..", "a.b.c", "e30.e30.", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, tok string, asCookie bool) {
		if !asCookie {
			if s := fzCheck(t, fx, atkBearer(tok)); s != nil && s.Token() != tok {
				t.Fatalf("session token %q differs from the credentials", s.Token())
			}
			return
		}
		// The same credentials as a cookie value.
		if s := fzCheck(t, fx, atkCookie(tok)); s != nil && s.Token() != tok && `"`+s.Token()+`"` != tok {
			t.Fatalf("cookie session token %q differs from the cookie value", s.Token())
		}
	})
}

// FuzzSignedToken fuzzes the header and payload JSON of tokens that carry a
// genuine EdDSA signature of issuer A's key, so that the fuzzer explores
// classification and claim rules past the signature check.
func FuzzSignedToken(f *testing.F) {
	fx := fzSetup(f)
	for _, tok := range fx.tokens {
		h, p, _ := atkSplit(tok)
		hb, _ := base64.RawURLEncoding.DecodeString(h)
		pb, _ := base64.RawURLEncoding.DecodeString(p)
		f.Add(hb, pb)
	}
	hdr := []byte(`{"alg":"EdDSA","kid":"ed-1"}`)
	for _, p := range []string{
		`{"iss":$ISS,"sub":"u","exp":$EXP}`,
		`{"iss":$ISS,"sub":"u","sub":"v","exp":$EXP}`,
		`{"iss":$ISS,"sub":"u","exp":-0}`,
		`{"iss":$ISS,"sub":"u","exp":1e400}`,
		`{"iss":$ISS,"sub":"u","exp":$EXP.5,"nbf":$NOW,"iat":$NOW}`,
		`{"iss":$ISS,"s\u0075b":"u","exp":$EXP}`,
		`{"iss":$ISS,"sub":"\ud800","exp":$EXP,"aud":["a",1]}`,
		`{"iss":$ISS,"sub":"u","exp":"$EXP"}`,
		`[{"iss":$ISS}]`,
		` {"iss" : $ISS , "sub" : "u" , "exp" : $EXP } `,
	} {
		f.Add(hdr, atkP(p))
	}
	for _, h := range []string{
		`{"alg":"EdDSA"}`, `{"alg":"EdDSA","alg":"EdDSA"}`, `{"\u0061lg":"EdDSA"}`, `{"ALG":"EdDSA"}`,
		`{"alg":"EdDSA","crit":[]}`, `{"alg":"EdDSA","b64":true}`, `{"alg":"EdDSA","kid":"ed-1","jwk":{}}`,
	} {
		f.Add([]byte(h), atkP(`{"iss":$ISS,"sub":"u","exp":$EXP}`))
	}
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		tok := fx.ed.SignJSON(header, payload)
		if s := fzCheck(t, fx, atkBearer(tok)); s != nil && s.Token() != tok {
			t.Fatalf("session token %q differs from the credentials", s.Token())
		}
	})
}

// TestFuzzFixture makes sure the seed tokens reach the outcomes they were
// built for, so that the corpora start from every branch.
func TestFuzzFixture(t *testing.T) {
	fx := fzSetup(t)
	want := []string{"session", "session", "session", "session", "TRY_REFRESH_TOKEN", "TRY_REFRESH_TOKEN",
		"UNAUTHORISED", "INVALID_CLAIMS", "UNAUTHORISED", "UNAUTHORISED", "TRY_REFRESH_TOKEN", "TRY_REFRESH_TOKEN",
		"session", "TRY_REFRESH_TOKEN", "TRY_REFRESH_TOKEN", "none", "TRY_REFRESH_TOKEN", "TRY_REFRESH_TOKEN",
		"none", "none"}
	if len(want) != len(fx.tokens) {
		t.Fatalf("%d tokens, %d expectations", len(fx.tokens), len(want))
	}
	for i, tok := range fx.tokens {
		s, err := fx.optional.Check(context.Background(), atkBearer(tok))
		got := "none"
		var e *sessionguard.Error
		switch {
		case s != nil:
			got = "session"
		case errors.As(err, &e):
			got = string(e.Code)
		}
		if got != want[i] {
			t.Errorf("seed token %d: got %s, want %s", i, got, want[i])
		}
	}
}

// FuzzFieldValues compares sessionguard.FieldValues with net/textproto's
// header reader (what net/http uses) on every block textproto accepts, for
// the four fields the verifier reads.
func FuzzFieldValues(f *testing.F) {
	for _, s := range []string{
		"Authorization: Bearer a\r\nauthorization: Bearer b\r\n\r\n",
		"Cookie: a=1\r\n\tb=2\r\nCookie:c=3 \r\n\r\n",
		"Origin: https://x\nSEC-FETCH-SITE:  cross-site\t\n\n",
		"X: 1\r\n \r\nCookie: \r\n\r\n",
	} {
		f.Add(s, uint8(0))
	}
	names := []string{"Authorization", "Cookie", "Origin", "Sec-Fetch-Site"}
	f.Fuzz(func(t *testing.T, block string, pick uint8) {
		name := names[int(pick)%len(names)]
		got := sessionguard.FieldValues(block, name) // never panics
		if !strings.Contains(block, "\n\n") && !strings.Contains(block, "\r\n\r\n") {
			return // textproto needs the end of the block
		}
		h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(block))).ReadMIMEHeader()
		if err != nil {
			return
		}
		if strings.Contains(block, "\r") && strings.Count(block, "\r") != strings.Count(block, "\r\n") {
			return // a bare CR: textproto and the block scanner may split lines differently
		}
		want := h[name]
		if len(got) == 0 && len(want) == 0 {
			return
		}
		if !slices.Equal(got, want) {
			t.Fatalf("FieldValues(%q, %s) = %q, textproto %q", block, name, got, want)
		}
	})
}
