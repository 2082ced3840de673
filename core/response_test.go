package sessionguard_test

import (
	"net/http/httptest"
	"testing"

	sessionguard "github.com/sessionguard/sessionguard/core"
	"github.com/sessionguard/sessionguard/core/sgtest"
)

// TestWireFormat pins the default responses of docs/semantics.md §5 to literal bytes.
func TestWireFormat(t *testing.T) {
	k := sgtest.NewKey("ES256", "w")
	v, err := sessionguard.New(sessionguard.WithIssuer("iss", sessionguard.StaticJWKS(sgtest.JWKS(k))),
		sessionguard.WithRealm("shop"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		err     *sessionguard.Error
		status  int
		www     string
		body    string
		retryAf string
	}{
		{"unauthorised-nothing-sent", &sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrNoToken},
			401, `Bearer realm="shop"`, `{"error":"UNAUTHORISED","message":"A valid session is required."}`, ""},
		{"unauthorised-rejected", &sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrAudienceMismatch, TokenRejected: true},
			401, `Bearer realm="shop", error="invalid_token", error_description="The access token was rejected"`, `{"error":"UNAUTHORISED","message":"A valid session is required."}`, ""},
		{"try-refresh-expired", &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrTokenExpired, TokenRejected: true},
			401, `Bearer realm="shop", error="invalid_token", error_description="The access token expired"`, `{"error":"TRY_REFRESH_TOKEN","message":"The session token is expired or invalid; refresh the session and retry."}`, ""},
		{"try-refresh-signature", &sessionguard.Error{Code: sessionguard.CodeTryRefreshToken, Reason: sessionguard.ErrSignatureInvalid, TokenRejected: true},
			401, `Bearer realm="shop", error="invalid_token", error_description="The access token could not be verified"`, `{"error":"TRY_REFRESH_TOKEN","message":"The session token is expired or invalid; refresh the session and retry."}`, ""},
		{"invalid-claims", &sessionguard.Error{Code: sessionguard.CodeInvalidClaims, Reason: sessionguard.ErrClaimValidation, Claims: []sessionguard.ClaimFailure{{ID: "roles", Reason: "required value is missing"}}},
			403, `Bearer realm="shop", error="insufficient_scope"`, `{"error":"INVALID_CLAIMS","message":"The session lacks a required claim.","claims":[{"id":"roles","reason":"required value is missing"}]}`, ""},
		{"cross-origin", &sessionguard.Error{Code: sessionguard.CodeCrossOriginRequest, Reason: sessionguard.ErrCrossOrigin},
			403, "", `{"error":"CROSS_ORIGIN_REQUEST","message":"Cross-origin request refused."}`, ""},
		{"invalid-request", &sessionguard.Error{Code: sessionguard.CodeInvalidRequest, Reason: sessionguard.ErrDuplicateAuthorization},
			400, `Bearer realm="shop", error="invalid_request"`, `{"error":"INVALID_REQUEST","message":"The request is ambiguous: send exactly one Authorization header."}`, ""},
		{"keys-unavailable", &sessionguard.Error{Code: sessionguard.CodeKeysUnavailable, Reason: sessionguard.ErrKeySetNotLoaded},
			503, "", `{"error":"KEYS_UNAVAILABLE","message":"Session verification is temporarily unavailable."}`, "5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := v.DefaultResponse(tc.err)
			if r.Status != tc.status || string(r.Body) != tc.body {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if got := r.Header.Get("WWW-Authenticate"); got != tc.www {
				t.Fatalf("WWW-Authenticate %q", got)
			}
			if got := r.Header.Get("Retry-After"); got != tc.retryAf {
				t.Fatalf("Retry-After %q", got)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Fatalf("Content-Type %q", got)
			}
			rec := httptest.NewRecorder()
			r.Write(rec)
			if rec.Code != tc.status || rec.Body.String() != tc.body || rec.Header().Get("WWW-Authenticate") != tc.www {
				t.Fatalf("Write: %d %q", rec.Code, rec.Body.String())
			}
		})
	}
}
