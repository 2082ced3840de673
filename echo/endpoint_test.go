package sessionecho_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessionecho "github.com/sessionguard/sessionguard/echo"
)

func TestHandler(t *testing.T) {
	var rec conformance.Recorder
	e := echo.New()
	e.Any("/endpoint", sessionecho.Handler(conformance.ServeEndpointCheck(rec.Seen)))
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	conformance.RunHandler(t, srv.URL, rec.Last)
}

func TestAttach(t *testing.T) {
	e := echo.New()
	e.POST("/login", func(c echo.Context) error {
		sessionecho.Attach(c, conformance.AttachResponse())
		return c.Blob(conformance.AttachStatus, "text/plain", []byte(conformance.AttachBody))
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	resp, err := http.Post(srv.URL+"/login", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	conformance.CheckAttach(t, resp.StatusCode, resp.Header, b)
}
