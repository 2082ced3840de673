// Package sessionecho verifies sessionguard session tokens in Echo
// (github.com/labstack/echo/v4).
//
//	func newServer(v *sessionguard.Verifier) (*echo.Echo, error) {
//		requireSession, err := sessionecho.Required(v)
//		if err != nil {
//			return nil, err
//		}
//		optionalSession, err := sessionecho.Optional(v)
//		if err != nil {
//			return nil, err
//		}
//
//		e := echo.New()
//		e.GET("/me", me, requireSession)       // one route
//		api := e.Group("/api", requireSession) // or a group (see the notes below)
//		api.GET("/orders", me)
//		e.GET("/feed", me, optionalSession)
//		return e, nil
//	}
//
//	func me(c echo.Context) error {
//		s, ok := sessionecho.FromContext(c)
//		if !ok {
//			return c.JSON(http.StatusOK, map[string]any{"sub": nil}) // only on optional or skipped routes
//		}
//		return c.JSON(http.StatusOK, map[string]string{"sub": s.Subject(), "source": s.Source().String()})
//	}
//
// (The package example "Readme" runs this code.)
//
// [Required] answers requests without a usable session with the core's
// default response (401/403/400/503 and a JSON body, identical in every
// sessionguard adapter); [Optional] lets requests without any token through
// with no session but still refuses a token that was sent and failed (an
// expired one with 401 TRY_REFRESH_TOKEN). OPTIONS requests always pass
// through without a session. [WithSkipper] takes Echo's usual
// middleware.Skipper.
//
// # Errors and HTTPErrorHandler
//
// Echo's default error handler would re-render an error as its own JSON, in
// a different shape. So on a refusal the middleware writes the core's
// response itself (status, headers, body) and only then returns an
// *echo.HTTPError{Code: status, Message: the outcome code as a string,
// Internal: the *sessionguard.Error}. The response is already committed, so
// Echo's default handler writes nothing more, while logging and custom
// handlers still see the error: errors.As(err, &sgErr) and
// errors.Is(err, sessionguard.ErrTokenExpired) work through
// HTTPError.Unwrap.
//
// A custom HTTPErrorHandler must check c.Response().Committed and return
// early when it is set, as Echo's own handler does; otherwise it writes a
// second response after the first ("response already committed" in the
// log, and its body appended to the core's on the wire).
//
// # Security notes
//
//   - The session is stored only on success, in the echo.Context and in the
//     request's context.Context. A handler reached without one (optional
//     route, skipped request, OPTIONS) must treat the caller as anonymous.
//   - Cookie-carried tokens on unsafe methods are subject to the core's
//     cross-origin check; header tokens are not. Do not disable it unless
//     another layer (e.g. net/http.CrossOriginProtection) does the check.
//   - Middleware attached with Group.Use also runs for the group's unknown
//     paths (Echo routes them to a catch-all 404 so that group middleware
//     runs), so without a session those answer 401 rather than 404.
//
// The adapter only translates: it hands the request to the core as a
// [sessionguard.Request] view, stores the session and writes the core's
// response. All parsing and every decision are the core's.
package sessionecho
