package sessiongin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessiongin "github.com/sessionguard/sessionguard/gin"
)

func TestHandler(t *testing.T) {
	var rec conformance.Recorder
	r := gin.New()
	r.Any("/endpoint", sessiongin.Handler(conformance.ServeEndpointCheck(rec.Seen)))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	conformance.RunHandler(t, srv.URL, rec.Last)
}

func TestAttach(t *testing.T) {
	r := gin.New()
	r.POST("/login", func(c *gin.Context) {
		sessiongin.Attach(c, conformance.AttachResponse())
		c.Data(conformance.AttachStatus, "text/plain", []byte(conformance.AttachBody))
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	resp, err := http.Post(srv.URL+"/login", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	conformance.CheckAttach(t, resp.StatusCode, resp.Header, b)
}
