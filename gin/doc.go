// Package sessiongin verifies sessionguard session tokens in Gin
// (github.com/gin-gonic/gin).
//
//	func newRouter(v *sessionguard.Verifier) (*gin.Engine, error) {
//		requireSession, err := sessiongin.Required(v)
//		if err != nil {
//			return nil, err
//		}
//		optionalSession, err := sessiongin.Optional(v)
//		if err != nil {
//			return nil, err
//		}
//
//		r := gin.New()
//		r.GET("/me", requireSession, me)       // one route
//		api := r.Group("/api", requireSession) // or a group
//		api.GET("/orders", me)
//		r.GET("/feed", optionalSession, me)
//		return r, nil
//	}
//
//	func me(c *gin.Context) {
//		s, ok := sessiongin.FromContext(c)
//		if !ok {
//			c.JSON(http.StatusOK, gin.H{"sub": nil}) // only on optional or skipped routes
//			return
//		}
//		c.JSON(http.StatusOK, gin.H{"sub": s.Subject(), "source": s.Source().String()})
//	}
//
// (The package example "Readme" runs this code.)
//
// [Required] answers requests without a usable session with the core's
// default response (401/403/400/503 and a JSON body, identical in every
// sessionguard adapter); [Optional] lets requests without any token through
// with no session but still refuses a token that was sent and failed.
//
// A refused request is aborted (c.Abort): no later handler of the chain
// runs. Its *sessionguard.Error is attached with c.Error as
// [gin.ErrorTypePrivate], so logging middleware can read the outcome code
// and reason from c.Errors after c.Next(). Do not combine the middleware
// with gin.ErrorLogger(): it renders every error type, private ones too, as
// JSON appended to the response body; use gin.ErrorLoggerT(gin.ErrorTypePublic)
// if you need it.
//
// A verified session is stored in Gin's context storage (read it with
// [FromContext]) and in c.Request's context.Context (read it with
// sessionguard.FromContext), so service code that only receives a
// context.Context sees the same session. Gin reuses *gin.Context values
// between requests: do not call FromContext after the handler returned;
// keep the *sessionguard.Session itself, or use c.Copy(), in goroutines.
//
// The adapter only translates: it hands the request to the core as a
// [sessionguard.Request] view over the *gin.Context, stores the session and
// writes the core's response. All parsing and every decision are the core's.
package sessiongin
