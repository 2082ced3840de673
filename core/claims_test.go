package sessionguard_test

import (
	"fmt"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestAmbiguousClaimNames: a payload whose top-level member names repeat,
// exactly or in another case, reads differently through Subject/Claim (the
// first exact name) and Claims[T] (encoding/json: the last case-insensitive
// match), so it is refused as malformed (row 4).
func TestAmbiguousClaimNames(t *testing.T) {
	k := sgtest.NewKey("ES256", "c1")
	v := atkStatic(t, []*sgtest.Key{k})
	raw := func(tmpl string) string { return k.SignJSON(atkHdr(k), atkP(tmpl)) }
	malformed := atkUnauth(sessionguard.ErrMalformedClaims)
	many := ""
	for i := range 40 {
		many += fmt.Sprintf(`"c%d":%d,`, i, i)
	}
	atkRun(t, v, []atkCase{
		{"many distinct names", raw(`{` + many + `"iss":$ISS,"sub":"u","exp":$EXP}`), atkSession},
		{"many names, one repeated in another case", raw(`{` + many + `"iss":$ISS,"sub":"u","exp":$EXP,"C7":1}`), malformed},
		{"control", raw(`{"iss":$ISS,"sub":"u","exp":$EXP}`), atkSession},
		{"sub and SUB", raw(`{"iss":$ISS,"sub":"u","SUB":"admin","exp":$EXP}`), malformed},
		{"Sub before sub", raw(`{"iss":$ISS,"Sub":"admin","sub":"u","exp":$EXP}`), malformed},
		{"iss and Iss", raw(`{"iss":$ISS,"Iss":"https://evil.test","sub":"u","exp":$EXP}`), malformed},
		{"exp and EXP", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"EXP":99999999999}`), malformed},
		{"roles and Roles", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"roles":["user"],"Roles":["admin"]}`), malformed},
		{"a custom claim twice", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"role":"user","role":"admin"}`), malformed},
		{"an escaped name equal to another", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"role":"user","r\u006Fle":"admin"}`), malformed},
		{"Kelvin sign folds to k", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"kind":"a","\u212Aind":"b"}`), malformed},
		{"long s folds to s", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"scope":"a","\u017Fcope":"b"}`), malformed},
		{"distinct names", raw(`{"iss":$ISS,"sub":"u","subject":"x","exp":$EXP,"Role":"a","roles":"b"}`), atkSession},
		{"a nested repeat is not top-level", raw(`{"iss":$ISS,"sub":"u","exp":$EXP,"x":{"a":1,"A":2}}`), atkSession},
	})
}
