package sessionguard

import (
	"bytes"
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"
)

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
	var names nameSet
	for {
		rawName, val, more := it.next()
		if !more {
			break
		}
		name, ok := memberName(rawName)
		if !ok {
			c.bad = true
			return
		}
		names.add(name)
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
	if names.ambiguous() {
		// Subject, Claim and the validators read the first exact name;
		// Claims[T] (encoding/json) the last case-insensitive match. A
		// payload on which they could disagree is refused (row 4).
		c.bad = true
	}
}

// nameSet collects the top-level member names of a payload to find a name
// repeated exactly or under case folding (bytes.EqualFold, which is what
// encoding/json matches field names with). Ordinary payloads fit the
// arrays, so collecting allocates nothing; the work is O(n log n) in the
// number of members whatever the input.
type nameSet struct {
	small [32]foldedName
	n     int
	more  []foldedName // the names beyond len(small)
}

type foldedName struct {
	hash uint64
	name []byte
}

func (s *nameSet) add(name []byte) {
	f := foldedName{foldHash(name), name}
	if s.n < len(s.small) {
		s.small[s.n] = f
		s.n++
		return
	}
	s.more = append(s.more, f)
}

// ambiguous reports whether two names are equal under case folding.
func (s *nameSet) ambiguous() bool {
	if s.more == nil {
		l := s.small[:s.n]
		for i := 1; i < len(l); i++ {
			for j := 0; j < i; j++ {
				if l[i].hash == l[j].hash && bytes.EqualFold(l[i].name, l[j].name) {
					return true
				}
			}
		}
		return false
	}
	// Many members: sort by hash rather than compare every pair.
	l := make([]foldedName, 0, s.n+len(s.more))
	l = append(append(l, s.small[:s.n]...), s.more...)
	slices.SortFunc(l, func(a, b foldedName) int { return cmp.Compare(a.hash, b.hash) })
	for i := 1; i < len(l); i++ {
		for j := i - 1; j >= 0 && l[j].hash == l[i].hash; j-- {
			if bytes.EqualFold(l[i].name, l[j].name) {
				return true
			}
		}
	}
	return false
}

// foldHash hashes name (FNV-1a) over a case-folded form: every rune is
// replaced by the smallest rune of its simple-folding orbit, so names that
// bytes.EqualFold reports equal hash equal.
func foldHash(name []byte) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); {
		r, size := rune(name[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(name[i:])
		}
		i += size
		r = foldRune(r)
		for b := uint32(r); ; b >>= 8 {
			h = (h ^ uint64(b&0xff)) * 1099511628211
			if b < 0x100 {
				break
			}
		}
	}
	return h
}

func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r // 'K' and 'S' are the smallest of their orbits too
	}
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
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

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// unixTime converts a NumericDate to time.Time.
func unixTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
