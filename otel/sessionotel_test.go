package sessionotel_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
	sessionotel "github.com/sessionguard/sessionguard/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

const iss = "https://issuer.example.test"

// setup returns an observer over a manual reader.
func setup(t *testing.T) (*sessionotel.Observer, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	obs, err := sessionotel.New(mp)
	if err != nil {
		t.Fatal(err)
	}
	return obs, reader
}

func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != sessionotel.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

func key(set attribute.Set) string {
	var b strings.Builder
	for _, kv := range set.ToSlice() {
		b.WriteString(string(kv.Key) + "=" + kv.Value.String() + ",")
	}
	return b.String()
}

// sums returns a counter's data points by their attributes.
func sums(t *testing.T, m metricdata.Metrics) map[string]int64 {
	t.Helper()
	sum, ok := m.Data.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%s is %T, want an int64 sum", m.Name, m.Data)
	}
	if !sum.IsMonotonic {
		t.Errorf("%s is not monotonic", m.Name)
	}
	out := map[string]int64{}
	for _, dp := range sum.DataPoints {
		out[key(dp.Attributes)] = dp.Value
	}
	return out
}

func wantPoints(t *testing.T, name string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: points %v, want %v", name, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s{%s} = %d, want %d (all: %v)", name, k, got[k], v, got)
		}
	}
}

func TestMetrics(t *testing.T) {
	obs, reader := setup(t)
	k := sgtest.NewKey("ES256", "kid-secret-1")
	srv := sgtest.NewJWKSServer(k)
	defer srv.Close()
	v, err := sessionguard.New(sessionguard.WithIssuer(iss, sessionguard.RemoteJWKS(srv.URL())),
		sessionguard.WithObserver(obs), sessionguard.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	g, _ := v.Required()
	tok := k.Mint(sgtest.Claims(iss, "subject-secret", time.Hour))
	expired := k.Mint(sgtest.Claims(iss, "subject-secret", -time.Hour))
	header := func(tok string) sessionguard.Request {
		return sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}
	}
	cookie := sessionguard.MapRequest{Header: http.Header{"Cookie": {"access_token=" + tok}}}
	for _, req := range []sessionguard.Request{header(tok), header(tok), cookie, header(expired), sessionguard.MapRequest{}} {
		_, _ = g.Check(ctx, req)
	}
	// The issuer side reports through the same observer.
	sessionguard.ObserveIssuer(obs, sessionguard.IssuerEvent{Op: sessionguard.IssuerRefresh, Result: sessionguard.IssuerOK, Duration: time.Millisecond})
	sessionguard.ObserveIssuer(obs, sessionguard.IssuerEvent{Op: sessionguard.IssuerTheft, Result: sessionguard.IssuerOK})

	m := collect(t, reader)
	wantPoints(t, sessionotel.MetricRequests, sums(t, m[sessionotel.MetricRequests]), map[string]int64{
		"outcome=session,source=header,":           2,
		"outcome=session,source=cookie,":           1,
		"outcome=TRY_REFRESH_TOKEN,source=header,": 1,
		"outcome=UNAUTHORISED,source=none,":        1,
	})
	wantPoints(t, sessionotel.MetricCacheLookups, sums(t, m[sessionotel.MetricCacheLookups]), map[string]int64{
		"result=miss,source=header,": 2, // the first valid token and the expired one
		"result=hit,source=header,":  1,
		"result=hit,source=cookie,":  1,
	})
	wantPoints(t, sessionotel.MetricKeySetFetches, sums(t, m[sessionotel.MetricKeySetFetches]), map[string]int64{
		"issuer=" + iss + ",result=ok,trigger=schedule,": 1,
	})
	wantPoints(t, sessionotel.MetricIssuerOperations, sums(t, m[sessionotel.MetricIssuerOperations]), map[string]int64{
		"op=refresh,result=ok,": 1,
		"op=theft,result=ok,":   1,
	})
	hist, ok := m[sessionotel.MetricKeySetDuration].Data.(metricdata.Histogram[float64])
	if !ok || len(hist.DataPoints) != 1 || hist.DataPoints[0].Count != 1 || hist.DataPoints[0].Sum <= 0 {
		t.Errorf("%s = %+v", sessionotel.MetricKeySetDuration, m[sessionotel.MetricKeySetDuration].Data)
	}
	if u := m[sessionotel.MetricKeySetDuration].Unit; u != "s" {
		t.Errorf("duration unit %q", u)
	}
	gauge, ok := m[sessionotel.MetricKeySetKeys].Data.(metricdata.Gauge[int64])
	if !ok || len(gauge.DataPoints) != 1 || gauge.DataPoints[0].Value != 1 || key(gauge.DataPoints[0].Attributes) != "issuer="+iss+"," {
		t.Errorf("%s = %+v", sessionotel.MetricKeySetKeys, m[sessionotel.MetricKeySetKeys].Data)
	}

	// Nothing sensitive in any attribute.
	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			for _, s := range attributeSets(mt) {
				text := key(s)
				for _, secret := range []string{tok, "subject-secret", "kid-secret-1"} {
					if strings.Contains(text, secret) {
						t.Errorf("%s has an attribute with %q", mt.Name, secret)
					}
				}
			}
		}
	}
}

func attributeSets(m metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	}
	return out
}

func TestKeyFetchFailure(t *testing.T) {
	obs, reader := setup(t)
	obs.KeyFetch(sessionguard.KeyFetchEvent{Issuer: iss, Result: sessionguard.FetchHTTPStatus, Duration: 20 * time.Millisecond, UnknownKid: true})
	m := collect(t, reader)
	wantPoints(t, sessionotel.MetricKeySetFetches, sums(t, m[sessionotel.MetricKeySetFetches]), map[string]int64{
		"issuer=" + iss + ",result=http_status,trigger=unknown_kid,": 1,
	})
	if _, ok := m[sessionotel.MetricKeySetKeys]; ok {
		t.Error("a failed load recorded a key count")
	}
}

func TestNewNil(t *testing.T) {
	if _, err := sessionotel.New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestRequestAllocs(t *testing.T) {
	obs, _ := setup(t)
	ev := sessionguard.RequestEvent{Session: true, Source: sessionguard.SourceHeader}
	if n := testing.AllocsPerRun(100, func() { obs.Request(ev) }); n != 0 {
		t.Errorf("Request allocates %v times", n)
	}
	ce := sessionguard.CacheEvent{Hit: true, Source: sessionguard.SourceCookie}
	if n := testing.AllocsPerRun(100, func() { obs.CacheLookup(ce) }); n != 0 {
		t.Errorf("CacheLookup allocates %v times", n)
	}
}
