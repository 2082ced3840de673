// Package sessionfiber verifies sessionguard session tokens in Fiber v2
// (github.com/gofiber/fiber/v2).
//
//	func newApp(v *sessionguard.Verifier) (*fiber.App, error) {
//		requireSession, err := sessionfiber.Required(v)
//		if err != nil {
//			return nil, err
//		}
//		optionalSession, err := sessionfiber.Optional(v)
//		if err != nil {
//			return nil, err
//		}
//
//		// 16 KiB: room for an 8 KiB token in a header and a cookie (see below).
//		app := fiber.New(fiber.Config{ReadBufferSize: 16 << 10})
//		app.Get("/me", requireSession, me)       // one route
//		api := app.Group("/api", requireSession) // or a group (see the notes below)
//		api.Get("/orders", me)
//		app.Get("/feed", optionalSession, me)
//		return app, nil
//	}
//
//	func me(c *fiber.Ctx) error {
//		s, ok := sessionfiber.FromContext(c)
//		if !ok {
//			return c.JSON(fiber.Map{"sub": nil}) // only on optional or skipped routes
//		}
//		return c.JSON(fiber.Map{"sub": s.Subject(), "source": s.Source().String()})
//	}
//
// (The package example "Readme" runs this code.)
//
// [Required] answers requests without a usable session with the core's
// default response (401/403/400/503 and a JSON body, identical in every
// sessionguard adapter); [Optional] lets requests without any token through
// with no session but still refuses a token that was sent and failed.
// [WithNext] is Fiber's Next hook: requests for which it returns true are
// not verified at all.
//
// # What the adapter does
//
// It only translates. The core reads the request through a small view built
// directly on fasthttp's request header (no *http.Request is rebuilt): the
// method, the raw Host header, and every field of a header in arrival order
// (fasthttp's PeekAll), so duplicate Authorization fields and several Cookie
// fields reach the core as sent and all parsing is the core's. On success the
// session is stored in c.Locals (read it with [FromContext]) and in
// c.UserContext() (read it with sessionguard.FromContext below the handler).
//
// # Errors and Fiber's ErrorHandler
//
// A refused request is written into the Fiber context here — status, every
// header of the core's [sessionguard.Response] and its body — and the
// middleware returns nil. Returning an error instead would let Fiber's
// default ErrorHandler replace the JSON body with text/plain. Errors returned
// by the handlers after the middleware (c.Next()) are returned unchanged, so
// the application's ErrorHandler still sees them.
//
// # Security notes
//
//   - Fiber's strings normally alias fasthttp buffers that are reused after
//     the handler returns. The adapter lends them to the core without
//     copying, and the core copies what a *sessionguard.Session keeps (its
//     raw token; claims are decoded into its own memory), so a session stays
//     intact when kept beyond the request, whatever fiber.Config.Immutable says.
//   - Fiber's default ReadBufferSize (4096) bounds the whole request header
//     block; larger requests are refused by fasthttp with 431 before any
//     handler runs. Tokens may be up to 8 KiB (the core's default cap) and
//     may arrive in a header and a cookie at once: use at least 16 KiB.
//   - Cookie headers are read raw while no one has parsed them. If a
//     middleware that runs earlier reads request cookies through fasthttp
//     (c.Cookies, c.CookieParser, c.GetReqHeaders, encryptcookie, …),
//     fasthttp merges the Cookie fields into one normalised field (spaces
//     around names and values trimmed, one pair of quotes removed); the core
//     then sees that field. Well-formed cookies give the same result either
//     way.
//   - With fiber.Config{DisableHeaderNormalizing: true} fasthttp looks
//     header names up case-sensitively, so a field sent as "authorization"
//     is not seen (and is not counted as a duplicate). Keep the default.
//   - Cross-origin protection for cookie tokens compares Origin with the raw
//     Host header, as net/http does for origin-form requests.
package sessionfiber
