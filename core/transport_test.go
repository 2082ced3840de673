package sessionguard_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

func TestTransportForwardsOnlyToListedHosts(t *testing.T) {
	var got []string
	downstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization")+"|"+r.URL.RawQuery)
	}))
	defer downstream.Close()
	host := strings.TrimPrefix(downstream.URL, "http://")
	k := sgtest.NewKey("ES256", "t")
	v, _ := sessionguard.New(sessionguard.WithKeySource(sessionguard.StaticJWKS(sgtest.JWKS(k))))
	g, _ := v.Required()
	tok := k.Mint(sgtest.Claims("i", "u", time.Hour))
	s, err := g.Check(context.Background(), sessionguard.MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sessionguard.NewTransport(nil); err == nil {
		t.Fatal("no hosts accepted")
	}
	if _, err := sessionguard.NewTransport(nil, "https://a.example/x"); err == nil {
		t.Fatal("URL accepted as host")
	}
	tr, err := sessionguard.NewTransport(nil, host)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: tr}
	ctx := sessionguard.NewContext(context.Background(), s)
	do := func(ctx context.Context, url string, auth string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	do(ctx, downstream.URL+"/a?x=1", "")
	do(context.Background(), downstream.URL+"/b", "")
	do(ctx, downstream.URL+"/c", "Basic abc")
	other := strings.Replace(downstream.URL, "127.0.0.1", "localhost", 1) // same server, another host name
	do(ctx, other+"/d", "")
	want := []string{"Bearer " + tok + "|x=1", "|", "Basic abc|", "|"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("downstream saw %q", got)
	}
}
