package main

import (
	"io"

	"github.com/gin-gonic/gin"
	"github.com/sessionguard/sessionguard/core/conformance"
	sessiongin "github.com/sessionguard/sessionguard/gin"
)

func mountGin(a app) (server, error) {
	gs := a.guards
	gin.SetMode(gin.ReleaseMode) // no debug route listing
	gin.DefaultWriter, gin.DefaultErrorWriter = io.Discard, io.Discard
	r := gin.New()
	for path, e := range a.endpoints {
		r.Any(path, sessiongin.Handler(e))
	}
	r.Match(conformance.Methods, "/healthz", func(c *gin.Context) { c.String(200, conformance.HealthBody) })
	for path, g := range gs {
		r.Match(conformance.Methods, path, sessiongin.Middleware(g), func(c *gin.Context) {
			s, _ := sessiongin.FromContext(c)
			c.Data(200, "application/json", conformance.SuccessBody(s))
		})
	}
	return httpServer(r), nil
}
