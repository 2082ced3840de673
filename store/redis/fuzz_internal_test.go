package redisstore

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseMessage: any payload parses or is refused without panicking, and
// what revokeScript publishes ("<µs> <handle>") parses back exactly.
func FuzzParseMessage(f *testing.F) {
	f.Add("1764547200000000 abc", int64(1764547200000000), "abc")
	f.Add("", int64(0), "h")
	f.Add("x y", int64(-1), "a b")
	f.Fuzz(func(t *testing.T, payload string, us int64, handle string) {
		if r, ok := parseMessage(payload); ok && r.Handle == "" {
			t.Fatalf("parseMessage(%q) accepted an empty handle", payload)
		}
		if handle == "" || strings.Contains(handle, " ") {
			return
		}
		msg := strconv.FormatInt(us, 10) + " " + handle
		r, ok := parseMessage(msg)
		if !ok || r.Handle != handle || !r.At.Equal(time.UnixMicro(us)) || r.At.Location() != time.UTC {
			t.Fatalf("parseMessage(%q) = %+v, %v", msg, r, ok)
		}
	})
}

// FuzzDecodeRow: any stored values decode or are refused without
// panicking, and times written by encodeTime read back at µs precision.
func FuzzDecodeRow(f *testing.F) {
	f.Add("alice", "1764547200000000", "", "x", int64(1764547200123456))
	f.Add("", "-1", "9999999999999999999999", "", int64(0))
	f.Fuzz(func(t *testing.T, sub, ca, ea, v string, us int64) {
		vals := []any{sub, ca, ca, ea, "", "ua", "ip", "lb", "{}", "rf", v}
		_, _, _ = decodeRow("h", vals)
		vals[0] = nil
		if _, ok, err := decodeRow("h", vals); ok || err != nil {
			t.Fatalf("a row without subject decoded: %v, %v", ok, err)
		}
		in := time.UnixMicro(us)
		got, err := decodeTime(encodeTime(in))
		if err != nil || !got.Equal(in) && !in.IsZero() {
			t.Fatalf("time %v read back as %v, %v", in, got, err)
		}
	})
}
