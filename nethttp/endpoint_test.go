package sessionhttp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessionguard/sessionguard/core/conformance"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

func TestHandler(t *testing.T) {
	var rec conformance.Recorder
	srv := httptest.NewServer(sessionhttp.Handler(conformance.ServeEndpointCheck(rec.Seen)))
	t.Cleanup(srv.Close)
	conformance.RunHandler(t, srv.URL, rec.Last)
}

func TestAttach(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sessionhttp.Attach(w, conformance.AttachResponse())
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(conformance.AttachStatus)
		_, _ = io.WriteString(w, conformance.AttachBody)
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	resp, err := http.Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	conformance.CheckAttach(t, resp.StatusCode, resp.Header, b)
}
