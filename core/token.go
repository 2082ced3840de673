package sessionguard

import (
	"encoding/base64"
	"encoding/json"
	"strings"
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

// bearerCredentials extracts the credentials of an "Authorization: Bearer"
// field value: the scheme matched case-insensitively, then one or more spaces.
func bearerCredentials(v string) (string, bool) {
	const scheme = "bearer"
	if len(v) < len(scheme)+2 || !strings.EqualFold(v[:len(scheme)], scheme) || v[len(scheme)] != ' ' {
		return "", false
	}
	i := len(scheme) + 1
	for i < len(v) && v[i] == ' ' {
		i++
	}
	return v[i:], i < len(v)
}

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
	payload []byte
	claims  claims
	source  Source
}

// Registered claim bits.
const (
	cIss uint16 = 1 << iota
	cSub
	cAud
	cExp
	cNbf
	cIat
	cSid
	cJti
)

// claims holds the registered claims as read from the payload.
type claims struct {
	has      uint16
	badTime  uint16 // cExp/cNbf/cIat bits: that time claim has the wrong type or is out of range
	bad      bool   // any other registered claim of the wrong type, a repeated one, or no JSON object
	badIss   bool   // iss of the wrong type or repeated: the issuer is unknowable
	iss, sub string
	sid, jti string
	audRaw   []byte // the raw "aud" value, a slice of the payload
	exp      float64
	nbf, iat float64
	required uint32 // bit i: required claim i present with its kind
}

// maxNumericDate is 9999-12-31T23:59:59Z.
const maxNumericDate = 253402300799

// classify decides whether cred is "our" token (semantics §2) and, if so,
// fills t. It never panics, and allocates at most the decoded payload and a
// few small strings.
func (v *Verifier) classify(cred string, t *token) bool {
	d1, d2, ok := compactShape(cred, v.maxTokenSize)
	if !ok {
		return false
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
		return false
	}
	hdr = hdr[:n]
	if !json.Valid(hdr) {
		return false
	}
	it, ok := newObjIter(hdr)
	if !ok {
		return false
	}
	var seen uint8
	const sAlg, sKid, sCrit, sB64 = 1, 2, 4, 8
	t.badHdr = false
	t.hasKid = false
	t.alg = ""
	for {
		rawName, val, more := it.next()
		if !more {
			break
		}
		name, ok := memberName(rawName)
		if !ok {
			return false
		}
		var bit uint8
		switch string(name) {
		case "alg":
			bit = sAlg
			if len(val) == 0 || val[0] != '"' {
				return false
			}
			t.alg = v.allowedAlg(val)
		case "kid":
			bit = sKid
			s, ok := jsonString(val)
			if !ok {
				return false
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
		default:
			continue
		}
		if seen&bit != 0 {
			return false // a repeated member makes the header ambiguous
		}
		seen |= bit
	}
	if t.alg == "" {
		return false
	}
	// Payload.
	psrc := bytesOf(cred[d1+1 : d2])
	payload := make([]byte, b64.DecodedLen(len(psrc)))
	n, err = b64.Decode(payload, psrc)
	if err != nil {
		return false
	}
	payload = payload[:n]
	v.parseClaims(payload, &t.claims)
	if len(v.issuers) > 0 {
		// Only the unverified iss is judged here (semantics §2); any other
		// bad registered claim is row 4, after the signature.
		if t.claims.badIss || t.claims.has&cIss == 0 {
			return false
		}
		if _, ok := v.issuers[t.claims.iss]; !ok {
			return false
		}
	}
	t.raw, t.d2, t.payload = cred, d2, payload
	return true
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

// parseClaims reads the registered claims and the required-claim kinds.
func (v *Verifier) parseClaims(payload []byte, c *claims) {
	*c = claims{}
	if !json.Valid(payload) {
		c.bad = true
		return
	}
	it, ok := newObjIter(payload)
	if !ok {
		c.bad = true
		return
	}
	for {
		rawName, val, more := it.next()
		if !more {
			return
		}
		name, ok := memberName(rawName)
		if !ok {
			c.bad = true
			return
		}
		var bit uint16
		switch string(name) {
		case "iss":
			bit = cIss
			c.iss, ok = v.issuerString(val)
			c.bad = c.bad || !ok
			c.badIss = c.badIss || !ok || c.has&cIss != 0
		case "sub":
			bit = cSub
			c.sub, ok = jsonString(val)
			if !ok {
				c.sub = ""
			}
		case "aud":
			bit = cAud
			c.audRaw = val
			c.bad = c.bad || !eachString(val, func(el []byte) bool { _, ok := plainOrQuoted(el); return ok })
		case "sid":
			bit = cSid
			c.sid, ok = jsonString(val)
			c.bad = c.bad || !ok
		case "jti":
			bit = cJti
			c.jti, ok = jsonString(val)
			c.bad = c.bad || !ok
		case "exp":
			bit = cExp
			c.exp, ok = numericDate(val)
			if !ok {
				c.badTime |= cExp
			}
		case "nbf":
			bit = cNbf
			c.nbf, ok = numericDate(val)
			if !ok {
				c.badTime |= cNbf
			}
		case "iat":
			bit = cIat
			c.iat, ok = numericDate(val)
			if !ok {
				c.badTime |= cIat
			}
		}
		if bit != 0 {
			if c.has&bit != 0 {
				c.bad = true
			}
			c.has |= bit
		}
		for i, rc := range v.required {
			if rc.name == string(name) && kindOf(val, rc.kind) {
				c.required |= 1 << uint(i)
			}
		}
	}
}

// issuerString decodes "iss"; a configured issuer is returned as the
// configured string itself, so the common case does not allocate.
func (v *Verifier) issuerString(raw []byte) (string, bool) {
	if inner, ok := plainString(raw); ok {
		if iss, ok := v.issuerNames[string(inner)]; ok {
			return iss, true
		}
	}
	return jsonString(raw)
}

// plainOrQuoted reports whether el is a decodable JSON string.
func plainOrQuoted(el []byte) ([]byte, bool) {
	if inner, ok := plainString(el); ok {
		return inner, true
	}
	_, ok := jsonString(el)
	return nil, ok
}

func numericDate(raw []byte) (float64, bool) {
	f, ok := jsonNumber(raw)
	if !ok || f < 0 || f > maxNumericDate {
		return 0, false
	}
	return f, true
}

func kindOf(val []byte, k JSONKind) bool {
	if len(val) == 0 || string(val) == "null" {
		return false
	}
	switch k {
	case KindAny:
		return true
	case KindString:
		return val[0] == '"'
	case KindNumber:
		return val[0] == '-' || (val[0] >= '0' && val[0] <= '9')
	case KindBool:
		return string(val) == "true" || string(val) == "false"
	case KindArray:
		return val[0] == '['
	case KindObject:
		return val[0] == '{'
	}
	return false
}
