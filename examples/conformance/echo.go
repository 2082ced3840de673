package main

import (
	"github.com/labstack/echo/v4"
	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessionecho "github.com/sessionguard/sessionguard/echo"
)

func mountEcho(v *sessionguard.Verifier) (server, error) {
	gs, err := guards(v)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Match(conformance.Methods, "/healthz", func(c echo.Context) error { return c.String(200, conformance.HealthBody) })
	for path, g := range gs {
		e.Match(conformance.Methods, path, func(c echo.Context) error {
			s, _ := sessionecho.FromContext(c)
			return c.Blob(200, "application/json", conformance.SuccessBody(s))
		}, sessionecho.Middleware(g))
	}
	return httpServer(e), nil
}
