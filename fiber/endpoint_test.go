package sessionfiber_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
)

// TestHandler goes through a real listener: fasthttp's Set-Cookie handling
// (keyed by cookie name) must still deliver every line as the core wrote it.
func TestHandler(t *testing.T) {
	var rec conformance.Recorder
	app := fiber.New(testConfig)
	app.All("/endpoint", sessionfiber.Handler(conformance.ServeEndpointCheck(rec.Seen)))
	conformance.RunHandler(t, serve(t, app), rec.Last)
}

func TestAttach(t *testing.T) {
	app := fiber.New(testConfig)
	app.Post("/login", func(c *fiber.Ctx) error {
		sessionfiber.Attach(c, conformance.AttachResponse())
		c.Set(fiber.HeaderContentType, "text/plain")
		return c.Status(conformance.AttachStatus).SendString(conformance.AttachBody)
	})
	resp, err := http.Post(serve(t, app)+"/login", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	conformance.CheckAttach(t, resp.StatusCode, resp.Header, b)
}
