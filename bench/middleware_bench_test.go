package bench

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
)

// BenchmarkMiddleware runs one full request through each framework's router
// per iteration. Names: BenchmarkMiddleware/<framework>/<alg>/<impl>/<case>,
// so one framework and algorithm compare implementations side by side.
//
// sessionguard is the default configuration (verified-token cache on; the
// status check before timing warms it), sessionguard-nocache is built with
// sessionguard.WithoutCache() and verifies the signature on every request.
func BenchmarkMiddleware(b *testing.B) {
	for _, s := range suites(b) {
		b.Run(s.framework+"/"+s.alg, func(b *testing.B) {
			for _, im := range s.impls {
				b.Run(im.name, func(b *testing.B) {
					for _, c := range caseNames {
						b.Run(c, func(b *testing.B) {
							run := im.serve(fixtureFor(s.alg).authz(c))
							if got, want := run(), im.want[c]; got != want {
								b.Fatalf("status %d, want %d", got, want)
							}
							b.ReportAllocs()
							for b.Loop() {
								run()
							}
						})
					}
				})
			}
		})
	}
}

// BenchmarkRouterOnly is the floor under BenchmarkMiddleware: the same
// router, request, writer and handler with no middleware at all. Subtract it
// to see what a middleware itself costs.
func BenchmarkRouterOnly(b *testing.B) {
	noop := map[string]func(string) func() int{
		"nethttp": netHTTPApp(http.HandlerFunc(okHTTP)),
		"gin":     ginApp(func(c *gin.Context) { c.Next() }),
		"echo":    echoApp(func(next echo.HandlerFunc) echo.HandlerFunc { return next }),
		"fiber":   fiberApp(func(c *fiber.Ctx) error { return c.Next() }),
	}
	for _, fw := range frameworks {
		b.Run(fw, func(b *testing.B) {
			run := noop[fw]("")
			if got := run(); got != http.StatusOK {
				b.Fatalf("status %d, want 200", got)
			}
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
	}
}
