package sessionguard

import (
	"encoding/base64"
	"encoding/json"
	"unsafe"
)

// b64 is the only base64 accepted in tokens: URL alphabet, no padding, and
// (Strict) no stray bits in the last character, so every token has exactly
// one encoding.
var b64 = base64.RawURLEncoding.Strict()

// jwsChar marks the bytes a compact JWS may contain.
var jwsChar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'] = true, true, true
	return
}()

// bytesOf views s as bytes without copying. The result is only ever read.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// compactShape checks the characters and dot count of a compact JWS and
// returns the positions of the two dots. Header and payload must be non-empty.
func compactShape(s string, maxLen int) (int, int, bool) {
	if len(s) == 0 || len(s) > maxLen {
		return 0, 0, false
	}
	d1, d2 := -1, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !jwsChar[c] {
			return 0, 0, false
		}
		if c == '.' {
			switch {
			case d1 < 0:
				d1 = i
			case d2 < 0:
				d2 = i
			default:
				return 0, 0, false
			}
		}
	}
	if d1 <= 0 || d2 <= d1+1 {
		return 0, 0, false
	}
	return d1, d2, true
}

// token is a classified ("ours") compact JWS: its header is understood, its
// claims are read but not yet trusted.
type token struct {
	raw     string
	d2      int // index of the second dot: raw[:d2] is the signing input
	alg     string
	kid     string
	hasKid  bool
	badHdr  bool // crit present, or b64 not true
	typOK   bool // typ is one of WithTokenType's (judged only when configured)
	payload []byte
	claims  claims
	source  Source
}

// notOurs says why a credential is not "our" token (docs/semantics.md §2),
// for the debug log; ours (0) means it is. Returning it costs nothing; the
// details are only gathered when debug logging is on (see explain).
type notOurs uint8

const (
	ours notOurs = iota
	notShape
	notSize
	notHeader
	notAlg
	notPayload
	notIss
	notIssuer
)

// classify decides whether cred is "our" token (docs/semantics.md §2) and, if so,
// fills t. It never panics, and allocates at most the decoded payload and a
// few small strings.
func (v *Verifier) classify(cred string, t *token) notOurs {
	if len(cred) > v.maxTokenSize {
		return notSize
	}
	d1, d2, ok := compactShape(cred, v.maxTokenSize)
	if !ok {
		return notShape
	}
	// Header: decoded on the stack for ordinary sizes.
	var hbuf [384]byte
	hsrc := bytesOf(cred[:d1])
	var hdr []byte
	if n := b64.DecodedLen(len(hsrc)); n <= len(hbuf) {
		hdr = hbuf[:n]
	} else {
		hdr = make([]byte, n)
	}
	n, err := b64.Decode(hdr, hsrc)
	if err != nil {
		return notHeader
	}
	hdr = hdr[:n]
	if !json.Valid(hdr) {
		return notHeader
	}
	it, ok := newObjIter(hdr)
	if !ok {
		return notHeader
	}
	var seen uint8
	const sAlg, sKid, sCrit, sB64, sTyp = 1, 2, 4, 8, 16
	t.badHdr = false
	t.hasKid = false
	t.alg = ""
	t.typOK = false
	for {
		rawName, val, more := it.next()
		if !more {
			break
		}
		name, ok := memberName(rawName)
		if !ok {
			return notHeader
		}
		var bit uint8
		switch string(name) {
		case "alg":
			bit = sAlg
			if len(val) == 0 || val[0] != '"' {
				return notAlg
			}
			t.alg = v.allowedAlg(val)
		case "kid":
			bit = sKid
			s, ok := jsonString(val)
			if !ok {
				return notHeader
			}
			t.kid, t.hasKid = s, true
		case "crit":
			bit = sCrit
			t.badHdr = true // no extension is understood, so any crit is unknown
		case "b64":
			bit = sB64
			if string(val) != "true" {
				t.badHdr = true
			}
		case "typ":
			if v.types == nil {
				continue // typ is not judged
			}
			bit = sTyp
			t.typOK = v.acceptedType(val)
		default:
			continue
		}
		if seen&bit != 0 {
			return notHeader // a repeated member makes the header ambiguous
		}
		seen |= bit
	}
	if t.alg == "" {
		return notAlg
	}
	// Payload.
	psrc := bytesOf(cred[d1+1 : d2])
	payload := make([]byte, b64.DecodedLen(len(psrc)))
	n, err = b64.Decode(payload, psrc)
	if err != nil {
		return notPayload
	}
	payload = payload[:n]
	v.parseClaims(payload, &t.claims)
	if len(v.issuers) > 0 {
		// Only the unverified iss is judged here (docs/semantics.md §2); any other
		// bad registered claim is row 4, after the signature.
		if t.claims.badIss || t.claims.has&cIss == 0 {
			return notIss
		}
		if _, ok := v.issuers[t.claims.iss]; !ok {
			return notIssuer
		}
	}
	t.raw, t.d2, t.payload = cred, d2, payload
	return ours
}

// allowedAlg returns the canonical name of the raw JSON string if it is an
// allowed algorithm, else "".
func (v *Verifier) allowedAlg(raw []byte) string {
	for _, a := range v.algs {
		if stringEquals(raw, a) {
			return a
		}
	}
	return ""
}
