package main

import (
	"net/http"
	"time"

	"github.com/sessionguard/sessionguard/core/conformance"
	sessionhttp "github.com/sessionguard/sessionguard/nethttp"
)

// httpServer serves an http.Handler (net/http, Gin, Echo) with the shared limits.
func httpServer(h http.Handler) server {
	return &http.Server{Handler: h, MaxHeaderBytes: maxHeaderBytes, ReadHeaderTimeout: 10 * time.Second}
}

func mountNetHTTP(a app) (server, error) {
	gs := a.guards
	mux := http.NewServeMux()
	for path, e := range a.endpoints {
		mux.Handle(path, sessionhttp.Handler(e))
	}
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(conformance.HealthBody)) })
	for path, g := range gs {
		mux.Handle(path, sessionhttp.Middleware(g)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := sessionhttp.FromRequest(r)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(conformance.SuccessBody(s))
		})))
	}
	return httpServer(mux), nil
}
