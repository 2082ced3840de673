package main

import (
	"github.com/labstack/echo/v4"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessionecho "github.com/sessionguard/sessionguard/echo"
)

func mountEcho(a app) (server, error) {
	gs := a.guards
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	for path, ep := range a.endpoints {
		e.Any(path, sessionecho.Handler(ep))
	}
	e.Match(conformance.Methods, "/healthz", func(c echo.Context) error { return c.String(200, conformance.HealthBody) })
	for path, g := range gs {
		e.Match(conformance.Methods, path, func(c echo.Context) error {
			s, _ := sessionecho.FromContext(c)
			return c.Blob(200, "application/json", conformance.SuccessBody(s))
		}, sessionecho.Middleware(g))
	}
	return httpServer(e), nil
}
