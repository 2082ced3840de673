package sgtest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestRequests(t *testing.T) {
	if got := sgtest.BearerRequest("a.b.c").Header.Values("Authorization"); len(got) != 1 || got[0] != "Bearer a.b.c" {
		t.Fatalf("BearerRequest: %q", got)
	}
	if got := sgtest.CookieRequest("sid", "a.b.c").Header.Values("Cookie"); len(got) != 1 || got[0] != "sid=a.b.c" {
		t.Fatalf("CookieRequest: %q", got)
	}
}

func TestClock(t *testing.T) {
	var zero sgtest.Clock
	if !zero.Now().Equal(time.Unix(0, 0)) {
		t.Fatalf("zero clock reads %v", zero.Now())
	}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := sgtest.NewClock(start)
	c.Advance(time.Minute)
	if !c.Now().Equal(start.Add(time.Minute)) {
		t.Fatalf("Advance: %v", c.Now())
	}
	c.Set(start)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Advance(time.Second); _ = c.Now() }()
	}
	wg.Wait()
	if !c.Now().Equal(start.Add(8 * time.Second)) {
		t.Fatalf("concurrent Advance: %v", c.Now())
	}
}
