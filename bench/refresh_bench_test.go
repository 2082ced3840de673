package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"

	sessionguard "github.com/sessionguard/sessionguard/core"
	sessionecho "github.com/sessionguard/sessionguard/echo"
	sessionfiber "github.com/sessionguard/sessionguard/fiber"
	sessiongin "github.com/sessionguard/sessionguard/gin"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

const refreshPath = "/auth/refresh"

// refreshFixture is an issuer, the mount of its refresh endpoint and one
// session's refresh token. The grace window is long, so the same token is
// honoured on every iteration (lifecycle §3 row 2: the current token,
// answered again): every iteration does the same store and signing work.
func refreshFixture(b *testing.B) (*sessionissuer.Issuer, *sessionissuer.Mount, string) {
	b.Helper()
	iss, err := sessionissuer.New(sessionissuer.NewMemoryStore(), sessionissuer.WithIssuer(issuer),
		sessionissuer.WithRefreshGrace(24*time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = iss.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Create waits for the first signing key, so the verifier built next
	// finds the issuer's keys at once.
	tok, err := iss.Create(ctx, subject, nil, sessionissuer.Device{})
	if err != nil {
		b.Fatal(err)
	}
	v, err := sessionguard.New(iss.VerifierOptions()...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = v.Close() })
	m, err := iss.Mount(v)
	if err != nil {
		b.Fatal(err)
	}
	return iss, m, tok.RefreshToken
}

// refreshApps serve the mount's refresh endpoint through each framework's
// router, the refresh token in the Authorization header (header mode).
func refreshApps(e sessionguard.Endpoint) map[string]func(authz string) func() int {
	mux := http.NewServeMux()
	mux.Handle(refreshPath, sessionhttp.Handler(e))
	g := gin.New()
	g.Any(refreshPath, sessiongin.Handler(e))
	ec := echo.New()
	ec.Any(refreshPath, sessionecho.Handler(e))
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.All(refreshPath, sessionfiber.Handler(e))
	return map[string]func(string) func() int{
		"nethttp": postServe(mux), "gin": postServe(g), "echo": postServe(ec), "fiber": fiberPost(app),
	}
}

func postServe(h http.Handler) func(string) func() int {
	return func(authz string) func() int {
		req := httptest.NewRequest(http.MethodPost, refreshPath, nil)
		req.Host = "api.example.com"
		req.Header.Set("Authorization", authz)
		w := &discardWriter{h: make(http.Header)}
		return func() int {
			w.reset()
			h.ServeHTTP(w, req)
			return w.status
		}
	}
}

func fiberPost(app *fiber.App) func(string) func() int {
	h := app.Handler()
	return func(authz string) func() int {
		var req fasthttp.Request
		req.Header.SetMethod(fiber.MethodPost)
		req.SetRequestURI(refreshPath)
		req.Header.SetHost("api.example.com")
		req.Header.Set(fiber.HeaderAuthorization, authz)
		ctx := new(fasthttp.RequestCtx)
		ctx.Init(&req, nil, nil)
		return func() int {
			ctx.Response.Reset()
			h(ctx)
			return ctx.Response.StatusCode()
		}
	}
}

// BenchmarkRefreshEndpoint compares the refresh endpoint through each
// framework's router with the issuer's Refresh call alone. The framework
// sub-benchmarks interleave one call of each per iteration and report
// endpoint-ns/op, issuer-ns/op and their ratio (the adapter and HTTP layer
// overhead) from the same run; BenchmarkRefreshEndpoint/issuer is the bare
// call by itself.
func BenchmarkRefreshEndpoint(b *testing.B) {
	b.Run("issuer", func(b *testing.B) {
		iss, _, tok := refreshFixture(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := iss.Refresh(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, fw := range frameworks {
		b.Run(fw, func(b *testing.B) {
			iss, m, tok := refreshFixture(b)
			run := refreshApps(m.Refresh())[fw]("Bearer " + tok)
			if got := run(); got != http.StatusOK {
				b.Fatalf("status %d, want 200", got)
			}
			ctx := context.Background()
			var endT, bareT time.Duration
			b.ReportAllocs()
			var e, c time.Duration
			endpoint := func() {
				t0 := time.Now()
				if run() != http.StatusOK {
					b.Fatal("refresh failed")
				}
				e = time.Since(t0)
			}
			bare := func() {
				t0 := time.Now()
				if _, err := iss.Refresh(ctx, tok); err != nil {
					b.Fatal(err)
				}
				c = time.Since(t0)
			}
			var ratios []float64
			odd := false
			for b.Loop() {
				// Alternate the order, so neither call always runs on the
				// caches the other warmed.
				if odd = !odd; odd {
					endpoint()
					bare()
				} else {
					bare()
					endpoint()
				}
				endT, bareT = endT+e, bareT+c
				ratios = append(ratios, float64(e)/float64(c))
			}
			n := float64(b.N)
			b.ReportMetric(float64(endT.Nanoseconds())/n, "endpoint-ns/op")
			b.ReportMetric(float64(bareT.Nanoseconds())/n, "issuer-ns/op")
			b.ReportMetric(float64(endT)/float64(bareT), "ratio")
			// The median of the per-iteration ratios: each pair ran back to
			// back, so a neighbour's load burst skews one pair, not the
			// figure (the machine is shared).
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
		})
	}
}
