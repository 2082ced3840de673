package sessionguard

// The shared helpers of the package's internal tests. The black-box tests
// have theirs in helpers_test.go; helpers users want too live in sgtest.

import "net/http"

// bearerReq is a request view carrying tok in "Authorization: Bearer".
func bearerReq(tok string) MapRequest {
	return MapRequest{Header: http.Header{"Authorization": {"Bearer " + tok}}}
}

// cookieReq is a request view carrying header as its one Cookie field.
func cookieReq(header string) MapRequest {
	return MapRequest{Header: http.Header{"Cookie": {header}}}
}
