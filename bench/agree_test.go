package bench

import "testing"

// TestPeersAgree proves the comparison is like for like: every
// implementation lets the valid token through (200) and refuses the expired
// and the missing one (not 200), with the status recorded in impl.want. A
// forged signature must be refused too, so no peer is fast because it
// skips the check.
func TestPeersAgree(t *testing.T) {
	for _, s := range suites(t) {
		for _, im := range s.impls {
			for _, c := range append(caseNames, "forged") {
				t.Run(s.framework+"/"+s.alg+"/"+im.name+"/"+c, func(t *testing.T) {
					run := im.serve(fixtureFor(s.alg).authz(c))
					for i := range 3 { // repeated: the reused request and writer must not drift
						got := run()
						if c == "valid" && got != 200 {
							t.Fatalf("run %d: valid token got %d, want 200", i, got)
						}
						if c != "valid" && got == 200 {
							t.Fatalf("run %d: %s token got 200", i, c)
						}
						if want, ok := im.want[c]; ok && got != want {
							t.Fatalf("run %d: status %d, want %d", i, got, want)
						}
					}
				})
			}
		}
	}
}
