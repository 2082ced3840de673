package conformance_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/conformance"
)

// coreFactory mounts the routes on the core alone (no adapter): the suite
// then tests the core's decisions, and every adapter's test runs the same
// suite through its framework.
func coreFactory(t testing.TB, v *sessionguard.Verifier) string {
	mux := http.NewServeMux()
	for _, rt := range conformance.Routes() {
		if !rt.Verify {
			mux.HandleFunc(rt.Path, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(conformance.HealthBody)) })
			continue
		}
		g, err := rt.Guard(v)
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc(rt.Path, func(w http.ResponseWriter, r *http.Request) {
			s, err := g.Check(r.Context(), sessionguard.HTTPRequest{R: r})
			if err != nil {
				g.Render(err).Write(w)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(conformance.SuccessBody(s))
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConformanceCore(t *testing.T) {
	conformance.Run(t, coreFactory)
}
