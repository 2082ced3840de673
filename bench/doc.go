// Package bench compares the sessionguard adapters with the JWT middleware a
// user would otherwise pick for each framework: auth0/go-jwt-middleware for
// net/http, appleboy/gin-jwt for Gin, labstack/echo-jwt for Echo and
// gofiber/contrib/jwt for Fiber. Everything lives in the test files: run
// `make bench-compare` from the repository root (see README.md).
//
// Every implementation verifies the same RS256 and ES256 tokens (header
// token, keys already in memory, no network) behind the same tiny handler,
// through the framework's own router.
package bench
