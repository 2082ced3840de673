package sessionguard

import (
	"encoding/json"
	"math"
	"time"
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

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// unixTime converts a NumericDate to time.Time.
func unixTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
