package sessionguard

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A small, strict reader for the top level of a JSON object. Token headers and
// payloads are first checked with json.Valid (no allocation), then walked here
// member by member: member names match exactly (encoding/json would also match
// "ALG" for "alg"), and a repeated registered member is reported so that the
// caller can reject it instead of silently taking the last one.

type objIter struct {
	data []byte
	pos  int
}

// newObjIter returns an iterator over data, which must be valid JSON, or false
// when data is not an object.
func newObjIter(data []byte) (objIter, bool) {
	it := objIter{data: data}
	it.skipSpace()
	if it.pos >= len(data) || data[it.pos] != '{' {
		return it, false
	}
	it.pos++
	return it, true
}

func (it *objIter) skipSpace() {
	for it.pos < len(it.data) {
		switch it.data[it.pos] {
		case ' ', '\t', '\n', '\r':
			it.pos++
		default:
			return
		}
	}
}

// next returns the next member's raw name (with quotes) and raw value.
func (it *objIter) next() (name, value []byte, ok bool) {
	it.skipSpace()
	if it.pos < len(it.data) && it.data[it.pos] == ',' {
		it.pos++
		it.skipSpace()
	}
	if it.pos >= len(it.data) || it.data[it.pos] != '"' {
		return nil, nil, false // '}' or end
	}
	start := it.pos
	it.pos = skipString(it.data, it.pos)
	name = it.data[start:it.pos]
	it.skipSpace()
	it.pos++ // ':'
	it.skipSpace()
	start = it.pos
	it.pos = skipValue(it.data, it.pos)
	return name, it.data[start:it.pos], true
}

// skipString returns the index just past the string starting at data[i] == '"'.
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipValue returns the index just past the value starting at data[i].
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default:
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// memberName returns the unescaped member name. The common case (no escapes)
// returns a slice of raw and does not allocate.
func memberName(raw []byte) ([]byte, bool) {
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			s, ok := unquote(raw)
			return []byte(s), ok
		}
	}
	return inner, true
}

// unquote decodes a JSON string with escapes. It copies raw first so that
// raw itself never escapes to the heap (it may live on the caller's stack).
func unquote(raw []byte) (string, bool) {
	var s string
	if json.Unmarshal(append([]byte(nil), raw...), &s) != nil {
		return "", false
	}
	return s, true
}

// plainString returns the inner bytes of a JSON string that needs no
// decoding (no escapes, no control bytes, valid UTF-8), or false.
func plainString(raw []byte) ([]byte, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	return inner, utf8.Valid(inner)
}

// jsonString decodes a raw JSON value that must be a string.
func jsonString(raw []byte) (string, bool) {
	if inner, ok := plainString(raw); ok {
		return string(inner), true
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	return unquote(raw)
}

// stringEquals reports whether raw is a JSON string equal to want, without
// allocating in the common case.
func stringEquals(raw []byte, want string) bool {
	if inner, ok := plainString(raw); ok {
		return string(inner) == want
	}
	s, ok := jsonString(raw)
	return ok && s == want
}

// jsonNumber decodes a raw JSON value that must be a number.
func jsonNumber(raw []byte) (float64, bool) {
	if len(raw) == 0 || !(raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) {
		return 0, false
	}
	if len(raw) <= 15 {
		var n int64
		simple := true
		for _, c := range raw {
			if c < '0' || c > '9' {
				simple = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if simple {
			return float64(n), true
		}
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// jsonStrings decodes a string or an array of strings (the forms of "aud").
func jsonStrings(raw []byte) ([]string, bool) {
	var out []string
	ok := eachString(raw, func(el []byte) bool {
		s, ok := jsonString(el)
		out = append(out, s)
		return ok
	})
	return out, ok
}

// eachString calls fn with the raw JSON of raw itself (a string) or of each
// element of raw (an array that must hold only strings). It stops and
// reports false when raw has another form or fn returns false.
func eachString(raw []byte, fn func(el []byte) bool) bool {
	if len(raw) > 0 && raw[0] == '"' {
		return fn(raw)
	}
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	i := 1
	for {
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r' || raw[i] == ',') {
			i++
		}
		if i >= len(raw) || raw[i] == ']' {
			return true
		}
		if raw[i] != '"' {
			return false
		}
		end := skipString(raw, i)
		if !fn(raw[i:end]) {
			return false
		}
		i = end
	}
}
