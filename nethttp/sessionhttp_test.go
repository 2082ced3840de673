package sessionhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

// mount serves the conformance routes through this adapter.
func mount(t testing.TB, v *sessionguard.Verifier) string {
	mux := http.NewServeMux()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fromReq, _ := sessionhttp.FromRequest(r)
		fromCtx, _ := sessionguard.FromContext(r.Context())
		if !conformance.Same(fromReq, fromCtx) {
			http.Error(w, conformance.MismatchBody, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(conformance.SuccessBody(fromCtx))
	})
	for _, rt := range conformance.Routes() {
		if !rt.Verify {
			mux.HandleFunc(rt.Path, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(conformance.HealthBody)) })
			continue
		}
		mw, err := sessionhttp.Optional(v, rt.Options...)
		if rt.Required {
			mw, err = sessionhttp.Required(v, rt.Options...)
		}
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle(rt.Path, mw(ok))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConformance(t *testing.T) { conformance.Run(t, mount) }

func TestSkipper(t *testing.T) {
	v, _ := conformance.Cases(t)
	mw, err := sessionhttp.Required(v, sessionhttp.WithSkipper(func(r *http.Request) bool { return r.URL.Path == "/public" }))
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for path, want := range map[string]int{"/public": 204, "/private": 401} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s: status %d, want %d", path, rec.Code, want)
		}
	}
	if _, err := sessionhttp.Required(v, sessionhttp.WithSkipper(nil)); err == nil {
		t.Error("nil skipper accepted")
	}
}

// TestOptionOwnership: this adapter's options are its own (see
// conformance.RunOptionOwnership).
func TestOptionOwnership(t *testing.T) {
	conformance.RunOptionOwnership(t, sessionhttp.WithSkipper(func(*http.Request) bool { return false }),
		func(v *sessionguard.Verifier, required bool, opts ...sessionguard.RouteOption) error {
			if required {
				_, err := sessionhttp.Required(v, opts...)
				return err
			}
			_, err := sessionhttp.Optional(v, opts...)
			return err
		})
}
