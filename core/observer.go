package sessionguard

import (
	"errors"
	"time"
)

// Observer receives what a [Verifier] does, for metrics (the otel module
// maps it to OpenTelemetry) or an application's own counters. Install one
// with [WithObserver]; without one nothing is measured and nothing is paid.
//
// Events are small values that never carry a token, a subject, a session id,
// a kid or a library's error text: only outcome codes, token sources, result
// classes, durations, key counts and the configured issuer (configuration,
// so low-cardinality). They are safe to turn into metric attributes as they
// are.
//
// Methods are called synchronously: Request and CacheLookup on the
// request's goroutine, KeyFetch on the verifier's background goroutine. They
// must be fast, must not block and must be safe for concurrent use. A method
// that panics loses its event, never the request or the process.
//
// Embed [NopObserver] to implement only some methods: methods added to
// Observer later arrive as no-ops.
type Observer interface {
	// Request is called once per [Guard.Check] with its outcome.
	Request(RequestEvent)
	// KeyFetch is called after each load of a remote key set (JWKS fetch,
	// OIDC discovery, or a [KeyLoader]) has finished, successful or not. A
	// load cut short by [Verifier.Close] is not reported.
	KeyFetch(KeyFetchEvent)
	// CacheLookup is called when the verified-token cache was consulted for
	// a token: a hit, or a miss that led to a full verification. Requests
	// without a token of ours, or with the cache off ([WithoutCache]), make
	// no cache events.
	CacheLookup(CacheEvent)
	// IssuerOperation is called by the issuing side (the issuer module) once
	// per operation.
	IssuerOperation(IssuerEvent)
}

// NopObserver ignores every event. Embed it in an observer that implements
// only some of [Observer]'s methods.
type NopObserver struct{}

// Request implements [Observer].
func (NopObserver) Request(RequestEvent) {}

// KeyFetch implements [Observer].
func (NopObserver) KeyFetch(KeyFetchEvent) {}

// CacheLookup implements [Observer].
func (NopObserver) CacheLookup(CacheEvent) {}

// IssuerOperation implements [Observer].
func (NopObserver) IssuerOperation(IssuerEvent) {}

// RequestEvent is the outcome of one [Guard.Check].
type RequestEvent struct {
	// Code is the outcome code, or "" when the request yielded a session or,
	// on an optional route, no session without an error.
	Code Code
	// Reason is the reason sentinel of a failure (for example
	// [ErrTokenExpired]); nil without a Code.
	Reason error
	// Source is where the selected token came from; 0 (String "none") when
	// no token was selected.
	Source Source
	// Session reports whether a session was handed to the handler.
	Session bool
}

// Outcome names the event in one low-cardinality word: "session",
// "no_session" (an optional route without a token, or an OPTIONS request)
// or the [Code] ("TRY_REFRESH_TOKEN", ...).
func (e RequestEvent) Outcome() string {
	switch {
	case e.Code != "":
		return string(e.Code)
	case e.Session:
		return "session"
	}
	return "no_session"
}

// FetchResult classifies one key-set load for an [Observer]: [FetchOK] or
// why it failed. The set of values is closed and small: fit for a metric
// attribute. [Verifier.Ready]'s error has the detailed text.
type FetchResult string

// Key-set load results.
const (
	FetchOK                FetchResult = "ok"
	FetchTimeout           FetchResult = "timeout"
	FetchDNS               FetchResult = "dns_error"
	FetchConnectionRefused FetchResult = "connection_refused"
	FetchTLS               FetchResult = "tls_error"
	FetchRedirectRefused   FetchResult = "redirect_refused"
	FetchRequestFailed     FetchResult = "request_failed"
	FetchHTTPStatus        FetchResult = "http_status"
	FetchTooLarge          FetchResult = "too_large"
	FetchParseError        FetchResult = "parse_error"
	FetchNoUsableKey       FetchResult = "no_usable_key"
	// FetchDiscoveryRefused: an OpenID Provider configuration whose
	// "issuer" is not the configured one, or whose "jwks_uri" the https
	// rule refuses.
	FetchDiscoveryRefused FetchResult = "discovery_refused"
	FetchLoaderFailed     FetchResult = "loader_error"
	FetchPanicked         FetchResult = "loader_panic"
)

// KeyFetchEvent is one finished load of a remote key set.
type KeyFetchEvent struct {
	// Issuer is the first issuer bound to the key set ([WithIssuer]), ""
	// for a [WithKeySource] set.
	Issuer string
	// Result is [FetchOK] or the failure's class.
	Result FetchResult
	// Duration is how long the load took (wall clock, both requests of an
	// OIDC discovery included).
	Duration time.Duration
	// Keys is the number of usable keys loaded; 0 when the load failed
	// (the previous keys, if any, stay in use).
	Keys int
	// UnknownKid reports a load triggered by a token whose kid the set did
	// not have, rather than by the schedule.
	UnknownKid bool
}

// CacheEvent is one lookup of the verified-token cache ([WithCache]).
type CacheEvent struct {
	// Hit reports whether the token's verification was reused.
	Hit bool
	// Source is where the token came from.
	Source Source
}

// IssuerOp names an operation of the issuing side.
type IssuerOp string

// Issuer operations.
const (
	IssuerCreate  IssuerOp = "create"  // a session was started
	IssuerRefresh IssuerOp = "refresh" // a refresh token was exchanged
	IssuerRevoke  IssuerOp = "revoke"  // one or more sessions were revoked
	IssuerTheft   IssuerOp = "theft"   // a reused refresh token revoked its session family
	IssuerUpdate  IssuerOp = "update"  // a session's payload was changed
)

// IssuerResult is how an issuer operation ended.
type IssuerResult string

// Issuer operation results.
const (
	// IssuerOK: the operation did what was asked.
	IssuerOK IssuerResult = "ok"
	// IssuerRejected: the input was refused (an unknown, expired, revoked
	// or reused refresh token; a bad argument).
	IssuerRejected IssuerResult = "rejected"
	// IssuerFailed: the operation could not be carried out (the store or
	// the signing keys failed).
	IssuerFailed IssuerResult = "error"
)

// IssuerEvent is one operation of the issuing side. Like every event it
// carries no token, subject or session handle.
type IssuerEvent struct {
	Op       IssuerOp
	Result   IssuerResult
	Duration time.Duration
}

// WithObserver sends the verifier's events to o (see [Observer]): one per
// request, one per key-set load, one per cache lookup. Default: none, and
// then no event is built and no clock is read for it. A nil o, or a second
// WithObserver, is an error from [New] (fan out inside one Observer).
func WithObserver(o Observer) Option {
	return optionFunc(func(c *config) error {
		if o == nil {
			return errors.New("WithObserver: nil Observer")
		}
		if c.ext.observer != nil {
			return errors.New("WithObserver given twice (fan out inside one Observer)")
		}
		c.ext.observer = o
		return nil
	})
}

// The observe helpers call the observer with a recover, so that a faulty
// observer loses its event and nothing else. They are only reached when an
// observer is installed.

func observeRequest(o Observer, ev RequestEvent) {
	defer func() { _ = recover() }()
	o.Request(ev)
}

func observeKeyFetch(o Observer, ev KeyFetchEvent) {
	defer func() { _ = recover() }()
	o.KeyFetch(ev)
}

func observeCache(o Observer, ev CacheEvent) {
	defer func() { _ = recover() }()
	o.CacheLookup(ev)
}

// ObserveIssuer delivers an issuer event to o, which may be nil (nothing
// happens). A panicking observer loses the event. The issuer module calls it
// once per operation.
func ObserveIssuer(o Observer, ev IssuerEvent) {
	if o == nil {
		return
	}
	defer func() { _ = recover() }()
	o.IssuerOperation(ev)
}

// observeRequest sends the event of one Check; only called with an observer.
func (v *Verifier) observeRequest(s *Session, e *Error, src Source) {
	ev := RequestEvent{Source: src, Session: s != nil}
	if e != nil {
		ev.Code, ev.Reason = e.Code, e.Reason
	}
	observeRequest(v.observer, ev)
}

// cacheEvent reports one lookup of the verified-token cache, when there is
// both an observer and a cache.
func (v *Verifier) cacheEvent(hit bool, src Source) {
	if v.observer != nil && v.cache != nil {
		observeCache(v.observer, CacheEvent{Hit: hit, Source: src})
	}
}
