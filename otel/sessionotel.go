package sessionotel

import (
	"context"
	"errors"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope of the meter.
const ScopeName = "github.com/sessionguard/sessionguard/otel"

// Metric names.
const (
	MetricRequests          = "sessionguard.requests"
	MetricCacheLookups      = "sessionguard.cache.lookups"
	MetricKeySetFetches     = "sessionguard.keyset.fetches"
	MetricKeySetDuration    = "sessionguard.keyset.fetch.duration"
	MetricKeySetKeys        = "sessionguard.keyset.keys"
	MetricIssuerOperations  = "sessionguard.issuer.operations"
	MetricIssuerOpsDuration = "sessionguard.issuer.operation.duration"
)

// Attribute keys.
const (
	AttrOutcome = attribute.Key("outcome")
	AttrSource  = attribute.Key("source")
	AttrResult  = attribute.Key("result")
	AttrTrigger = attribute.Key("trigger")
	AttrIssuer  = attribute.Key("issuer")
	AttrOp      = attribute.Key("op")
)

// outcomes and sources index the precomputed request attribute sets.
var (
	outcomes = []string{
		"session", "no_session",
		string(sessionguard.CodeUnauthorised), string(sessionguard.CodeTryRefreshToken),
		string(sessionguard.CodeInvalidClaims), string(sessionguard.CodeCrossOriginRequest),
		string(sessionguard.CodeInvalidRequest), string(sessionguard.CodeKeysUnavailable),
	}
	sources = []sessionguard.Source{0, sessionguard.SourceHeader, sessionguard.SourceCookie}
)

// Observer is a [sessionguard.Observer] recording OpenTelemetry metrics.
// Build it with [New]; it is safe for concurrent use.
type Observer struct {
	sessionguard.NopObserver // methods added to the interface later are no-ops

	requests     metric.Int64Counter
	cache        metric.Int64Counter
	fetches      metric.Int64Counter
	fetchTime    metric.Float64Histogram
	keys         metric.Int64Gauge
	issuerOps    metric.Int64Counter
	issuerOpTime metric.Float64Histogram

	// Precomputed option slices: the request path allocates nothing (a
	// slice passed on with ... is not copied; a variadic argument list
	// would escape to the heap through the interface call).
	reqOpts   [8][3][]metric.AddOption // [outcome][source]
	cacheOpts [2][3][]metric.AddOption // [miss, hit][source]
}

// New creates the instruments on a meter of mp (scope [ScopeName]). A nil
// mp is an error; pass otel.GetMeterProvider() for the global one.
func New(mp metric.MeterProvider) (*Observer, error) {
	if mp == nil {
		return nil, errors.New("sessionotel: nil MeterProvider")
	}
	m := mp.Meter(ScopeName)
	o := &Observer{}
	var errs [7]error
	o.requests, errs[0] = m.Int64Counter(MetricRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests judged by a sessionguard verifier, by outcome and token source."))
	o.cache, errs[1] = m.Int64Counter(MetricCacheLookups, metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups of the verified-token cache, by result (hit or miss) and token source."))
	o.fetches, errs[2] = m.Int64Counter(MetricKeySetFetches, metric.WithUnit("{fetch}"),
		metric.WithDescription("Loads of a remote key set, by result class, trigger and issuer."))
	o.fetchTime, errs[3] = m.Float64Histogram(MetricKeySetDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of key-set loads (an OIDC discovery includes both requests)."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
	o.keys, errs[4] = m.Int64Gauge(MetricKeySetKeys, metric.WithUnit("{key}"),
		metric.WithDescription("Usable keys of the last successful key-set load, by issuer."))
	o.issuerOps, errs[5] = m.Int64Counter(MetricIssuerOperations, metric.WithUnit("{operation}"),
		metric.WithDescription("Operations of the issuing side (create, refresh, revoke, theft, update), by result."))
	o.issuerOpTime, errs[6] = m.Float64Histogram(MetricIssuerOpsDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of issuer operations."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	for i, out := range outcomes {
		for j, src := range sources {
			o.reqOpts[i][j] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrOutcome.String(out), AttrSource.String(src.String())))}
		}
	}
	for i, res := range []string{"miss", "hit"} {
		for j, src := range sources {
			o.cacheOpts[i][j] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(AttrResult.String(res), AttrSource.String(src.String())))}
		}
	}
	return o, nil
}

func sourceIndex(s sessionguard.Source) int {
	switch s {
	case sessionguard.SourceHeader:
		return 1
	case sessionguard.SourceCookie:
		return 2
	}
	return 0
}

func outcomeIndex(e sessionguard.RequestEvent) int {
	switch e.Code {
	case "":
		if e.Session {
			return 0
		}
		return 1
	case sessionguard.CodeUnauthorised:
		return 2
	case sessionguard.CodeTryRefreshToken:
		return 3
	case sessionguard.CodeInvalidClaims:
		return 4
	case sessionguard.CodeCrossOriginRequest:
		return 5
	case sessionguard.CodeInvalidRequest:
		return 6
	case sessionguard.CodeKeysUnavailable:
		return 7
	}
	return -1
}

// Request implements [sessionguard.Observer].
func (o *Observer) Request(e sessionguard.RequestEvent) {
	if i := outcomeIndex(e); i >= 0 {
		o.requests.Add(context.Background(), 1, o.reqOpts[i][sourceIndex(e.Source)]...)
		return
	}
	// A code this version does not know: recorded, at the cost of one set.
	o.requests.Add(context.Background(), 1, metric.WithAttributes(
		AttrOutcome.String(e.Outcome()), AttrSource.String(e.Source.String())))
}

// CacheLookup implements [sessionguard.Observer].
func (o *Observer) CacheLookup(e sessionguard.CacheEvent) {
	hit := 0
	if e.Hit {
		hit = 1
	}
	o.cache.Add(context.Background(), 1, o.cacheOpts[hit][sourceIndex(e.Source)]...)
}

// KeyFetch implements [sessionguard.Observer].
func (o *Observer) KeyFetch(e sessionguard.KeyFetchEvent) {
	ctx := context.Background()
	trigger := "schedule"
	if e.UnknownKid {
		trigger = "unknown_kid"
	}
	iss := AttrIssuer.String(e.Issuer)
	res := AttrResult.String(string(e.Result))
	o.fetches.Add(ctx, 1, metric.WithAttributes(res, AttrTrigger.String(trigger), iss))
	o.fetchTime.Record(ctx, e.Duration.Seconds(), metric.WithAttributes(res, iss))
	if e.Result == sessionguard.FetchOK {
		o.keys.Record(ctx, int64(e.Keys), metric.WithAttributes(iss))
	}
}

// IssuerOperation implements [sessionguard.Observer].
func (o *Observer) IssuerOperation(e sessionguard.IssuerEvent) {
	ctx := context.Background()
	attrs := metric.WithAttributes(AttrOp.String(string(e.Op)), AttrResult.String(string(e.Result)))
	o.issuerOps.Add(ctx, 1, attrs)
	o.issuerOpTime.Record(ctx, e.Duration.Seconds(), attrs)
}

var _ sessionguard.Observer = (*Observer)(nil)
