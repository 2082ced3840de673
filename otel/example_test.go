package sessionotel_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionotel "github.com/sessionguard/sessionguard/otel"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// newObservedVerifier is the README's and doc.go's snippet: a verifier whose
// observer records OpenTelemetry metrics on mp.
func newObservedVerifier(mp metric.MeterProvider, issuer string) (*sessionguard.Verifier, error) {
	obs, err := sessionotel.New(mp)
	if err != nil {
		return nil, err
	}
	return sessionguard.New(sessionguard.OIDC(issuer), sessionguard.WithObserver(obs))
}

func Example() {
	// Any metric.MeterProvider; a manual reader here, an OTLP or Prometheus
	// exporter in production.
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())

	key := sgtest.NewKey("ES256", "k1")
	idp := sgtest.NewOIDCServer(key)
	defer idp.Close()
	v, err := newObservedVerifier(mp, idp.Issuer())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = v.Ready(ctx)

	g, _ := v.Required()
	tok := key.Mint(sgtest.Claims(idp.Issuer(), "alice", time.Hour))
	_, _ = g.Check(ctx, sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}})

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == sessionotel.MetricRequests {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				outcome, _ := dp.Attributes.Value(sessionotel.AttrOutcome)
				source, _ := dp.Attributes.Value(sessionotel.AttrSource)
				fmt.Println(m.Name, outcome.AsString(), source.AsString(), dp.Value)
			}
		}
	}
	// Output: sessionguard.requests session header 1
}
