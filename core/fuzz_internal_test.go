package sessionguard

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"unicode/utf8"
)

// FuzzJSONScanner checks the small JSON reader of jsonscan.go, and
// parseClaims on top of it, against encoding/json: the same members, in
// order, with the same raw values and decoded names; and the registered
// claims read as encoding/json reads them.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `"x"`, `1`, ` { } `,
		`{"alg":"RS256","kid":"k1","typ":"JWT"}`,
		`{"alg":"RS256","alg":"none"}`,
		`{"\u0061lg":"RS256","a\"b":1,"c\\":[1,{"d":"}"}]}`,
		`{"iss":"https://a","sub":"u","aud":["a","b"],"exp":1700000600,"nbf":0,"iat":1.5e9,"sid":"s","jti":"j"}`,
		`{"sub":"u","sub":"v","exp":-0,"iat":1e400,"nbf":-1}`,
		`{"aud":"x","tenant":"t","roles":[],"exp":253402300799}`,
		`{"aud":[1,"x"],"iss":7,"sub":null,"exp":"1"}`,
		`{"aud":["a",null],"iss":["x"],"sub":{"a":1},"exp":true}`,
		"{\"s\xffb\":\"\xfe\",\"x\":\"\\ud800\"}",
		`{ "a" : [ 1 , 2 ] , "b" : { "c" : [ ] } , "d" : "e" }`,
		`{"n":123456789012345,"m":1234567890123456,"o":-12,"p":0.1,"q":1E2}`,
		`{"tenant":5,"tenant":"t","roles":{},"roles":[1]}`,
	} {
		f.Add([]byte(s))
	}
	required := []requiredClaim{{"tenant", KindString}, {"roles", KindArray}, {"any", KindAny}, {"n", KindNumber}, {"b", KindBool}, {"o", KindObject}}
	v := &Verifier{required: required}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The value readers take any bytes without panicking.
		_, _ = jsonString(data)
		_, _ = jsonNumber(data)
		_, _ = jsonStrings(data)

		var c claims
		v.parseClaims(data, &c)
		if !json.Valid(data) {
			if !c.bad || c.has != 0 {
				t.Fatalf("invalid JSON not reported: bad=%v has=%b", c.bad, c.has)
			}
			return
		}
		it, isObj := newObjIter(data)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		first, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := first.(json.Delim); !ok || d != '{' {
			if isObj {
				t.Fatal("newObjIter accepted a non-object")
			}
			if !c.bad || c.has != 0 {
				t.Fatal("non-object payload not reported")
			}
			return
		}
		if !isObj {
			t.Fatal("newObjIter refused an object")
		}

		var members []fziMember
		for {
			rawName, val, more := it.next()
			if !dec.More() {
				if more {
					t.Fatalf("scanner found an extra member %q", rawName)
				}
				break
			}
			if !more {
				t.Fatal("scanner stopped early")
			}
			keyTok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			key := keyTok.(string)
			var want json.RawMessage
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			nameB, ok := memberName(rawName)
			name := string(nameB)
			if !ok {
				t.Fatalf("memberName(%q) failed", rawName)
			}
			if utf8.Valid(rawName) && name != key {
				t.Fatalf("member name %q, encoding/json says %q", name, key)
			}
			if !bytes.Equal(val, want) {
				t.Fatalf("member %q value %q, encoding/json says %q", key, val, want)
			}
			fziCheckValueReaders(t, val)
			members = append(members, fziMember{name, val})
		}
		fziCheckClaims(t, v, &c, members)
	})
}

// fziCheckValueReaders compares jsonString, jsonNumber and jsonStrings on one
// valid JSON value with encoding/json.
func fziCheckValueReaders(t *testing.T, val []byte) {
	t.Helper()
	s, sok := jsonString(val)
	var ws string
	werr := json.Unmarshal(val, &ws)
	if (val[0] == '"') != sok || (sok && (werr != nil || s != ws)) {
		t.Fatalf("jsonString(%q) = %q, %v; encoding/json %q, %v", val, s, sok, ws, werr)
	}
	n, nok := jsonNumber(val)
	isNum := val[0] == '-' || (val[0] >= '0' && val[0] <= '9')
	wn, nerr := strconv.ParseFloat(string(val), 64)
	if nok != (isNum && nerr == nil) || (nok && n != wn) {
		t.Fatalf("jsonNumber(%q) = %v, %v; strconv %v, %v", val, n, nok, wn, nerr)
	}
	list, lok := jsonStrings(val)
	var wl []string
	lerr := json.Unmarshal(val, &wl)
	allStrings := val[0] == '"'
	if val[0] == '[' {
		var elems []json.RawMessage
		_ = json.Unmarshal(val, &elems)
		allStrings = true
		for _, e := range elems {
			if e[0] != '"' {
				allStrings = false
			}
		}
	}
	if lok != allStrings {
		t.Fatalf("jsonStrings(%q) ok=%v, want %v", val, lok, allStrings)
	}
	if lok {
		if val[0] == '"' {
			wl, lerr = []string{ws}, nil
		}
		if lerr != nil || len(list) != len(wl) {
			t.Fatalf("jsonStrings(%q) = %q; encoding/json %q, %v", val, list, wl, lerr)
		}
		for i := range list {
			if list[i] != wl[i] {
				t.Fatalf("jsonStrings(%q) = %q; encoding/json %q", val, list, wl)
			}
		}
	}
}

// fziCheckClaims compares parseClaims with an oracle over the members that
// encoding/json found.
func fziCheckClaims(t *testing.T, v *Verifier, c *claims, members []fziMember) {
	t.Helper()
	count := map[string]int{}
	last := map[string][]byte{}
	for _, m := range members {
		count[m.name]++
		last[m.name] = m.val
	}
	bits := map[string]uint16{"iss": cIss, "sub": cSub, "aud": cAud, "exp": cExp, "nbf": cNbf, "iat": cIat, "sid": cSid, "jti": cJti}
	var has uint16
	dup := false
	for name, bit := range bits {
		if count[name] > 0 {
			has |= bit
		}
		if count[name] > 1 {
			dup = true
		}
	}
	if c.has != has {
		t.Fatalf("has %b, want %b", c.has, has)
	}
	// Names equal under case folding (what encoding/json matches fields
	// with) make the payload ambiguous, whatever the names.
	for i := range members {
		for j := 0; j < i; j++ {
			if bytes.EqualFold([]byte(members[i].name), []byte(members[j].name)) {
				if !c.bad {
					t.Fatalf("names %q and %q are equal under folding but not reported", members[j].name, members[i].name)
				}
				dup = true
			}
		}
	}
	for i, rc := range v.required {
		want := false
		for _, m := range members {
			if m.name == rc.name && fziKindMatches(m.val, rc.kind) {
				want = true
			}
		}
		if got := c.required&(1<<uint(i)) != 0; got != want {
			t.Fatalf("required claim %q kind %d: got %v want %v", rc.name, rc.kind, got, want)
		}
	}
	if count["iss"] > 1 && !c.badIss {
		t.Fatal("repeated iss not reported")
	}
	if dup {
		if !c.bad {
			t.Fatal("repeated claim name not reported")
		}
		return
	}
	// Without repeats every registered claim is judged on its one value.
	badTime, bad, badIss := false, false, false
	for _, name := range []string{"exp", "nbf", "iat"} {
		raw, ok := last[name]
		if !ok {
			continue
		}
		// A JSON number (encoding/json would also take a quoted one into
		// a json.Number, which is exactly what must be refused).
		isNum := raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')
		f, err := strconv.ParseFloat(string(raw), 64)
		if !isNum || err != nil || f < 0 || f > maxNumericDate {
			badTime = true
			continue
		}
		got := map[string]float64{"exp": c.exp, "nbf": c.nbf, "iat": c.iat}[name]
		if got != f {
			t.Fatalf("%s = %v, want %v", name, got, f)
		}
	}
	for _, name := range []string{"iss", "sid", "jti"} {
		raw, ok := last[name]
		if !ok {
			continue
		}
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			bad = true
			badIss = badIss || name == "iss"
			continue
		}
		got := map[string]string{"iss": c.iss, "sid": c.sid, "jti": c.jti}[name]
		if got != s {
			t.Fatalf("%s = %q, want %q", name, got, s)
		}
	}
	if raw, ok := last["sub"]; ok {
		var s string
		if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			if c.sub != s {
				t.Fatalf("sub = %q, want %q", c.sub, s)
			}
		} else if c.sub != "" {
			t.Fatalf("sub of the wrong type read as %q", c.sub)
		}
	} else if c.sub != "" {
		t.Fatalf("absent sub read as %q", c.sub)
	}
	if raw, ok := last["aud"]; ok {
		var list []string
		switch raw[0] {
		case '"':
			var one string
			if json.Unmarshal(raw, &one) != nil {
				t.Fatal("valid JSON string does not decode")
			}
			list = []string{one}
		case '[':
			var elems []json.RawMessage
			if json.Unmarshal(raw, &elems) != nil {
				t.Fatal("valid JSON array does not decode")
			}
			for _, e := range elems {
				var s string
				if e[0] != '"' || json.Unmarshal(e, &s) != nil {
					bad = true
					break
				}
				list = append(list, s)
			}
		default:
			bad = true
		}
		if !bad {
			aud, _ := jsonStrings(c.audRaw)
			if len(aud) != len(list) {
				t.Fatalf("aud = %q, want %q", aud, list)
			}
			for i := range list {
				if aud[i] != list[i] {
					t.Fatalf("aud = %q, want %q", aud, list)
				}
			}
		}
	}
	if (c.badTime != 0) != badTime || c.bad != bad || c.badIss != badIss {
		t.Fatalf("badTime/bad/badIss = %v/%v/%v, want %v/%v/%v", c.badTime != 0, c.bad, c.badIss, badTime, bad, badIss)
	}
}

type fziMember struct {
	name string
	val  []byte
}

// fziKindMatches is an independent oracle for kindOf: encoding/json's own
// reading of the value's type.
func fziKindMatches(val []byte, k JSONKind) bool {
	var x any
	dec := json.NewDecoder(bytes.NewReader(val))
	dec.UseNumber() // 1e400 is a JSON number even though no float64 holds it
	if dec.Decode(&x) != nil || x == nil {
		return false
	}
	var ok bool
	switch k {
	case KindAny:
		ok = true
	case KindString:
		_, ok = x.(string)
	case KindNumber:
		_, ok = x.(json.Number)
	case KindBool:
		_, ok = x.(bool)
	case KindArray:
		_, ok = x.([]any)
	case KindObject:
		_, ok = x.(map[string]any)
	}
	return ok
}
