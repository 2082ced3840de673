package sessionissuer

import (
	"testing"
	"time"
	"unsafe"
)

// TestRevocationSetCopiesTheHandle: a handle read from a Fiber request
// borrows fasthttp's buffer, which is reused for the next request; the set
// must keep its own copy (found through examples/demo: a logout through a
// refresh token under Fiber left the access token usable).
func TestRevocationSetCopiesTheHandle(t *testing.T) {
	s := newRevocationSet(time.Minute)
	buf := []byte("AAAAAAAAAAAAAAAAAAAAAA")
	borrowed := unsafe.String(&buf[0], len(buf))
	now := time.Now()
	s.add(borrowed, now, now)
	copy(buf, "BBBBBBBBBBBBBBBBBBBBBB") // the next request reuses the buffer
	if !s.Revoked("AAAAAAAAAAAAAAAAAAAAAA") {
		t.Fatal("the revoked handle is forgotten once the request's buffer is reused")
	}
}
