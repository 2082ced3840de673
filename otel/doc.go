// Package sessionotel turns sessionguard's observer events into
// OpenTelemetry metrics.
//
//	obs, err := sessionotel.New(mp)
//	if err != nil {
//		return nil, err
//	}
//	return sessionguard.New(sessionguard.OIDC(issuer), sessionguard.WithObserver(obs))
//
// The same observer can be handed to the issuing side. Instruments (names,
// units and attributes are listed in docs/observability.md):
//
//	sessionguard.requests               counter    {request}    outcome, source
//	sessionguard.cache.lookups          counter    {lookup}     result, source
//	sessionguard.keyset.fetches         counter    {fetch}      result, trigger, issuer
//	sessionguard.keyset.fetch.duration  histogram  s            result, issuer
//	sessionguard.keyset.keys            gauge      {key}        issuer
//	sessionguard.issuer.operations      counter    {operation}  op, result
//	sessionguard.issuer.operation.duration histogram s          op, result
//
// Every attribute has a small, closed set of values (issuer is
// configuration). No token, subject, session id or kid ever becomes an
// attribute: the events do not carry them.
//
// The request path records with precomputed attribute sets, so a request
// adds no allocation. The events carry no context, so measurements are
// recorded with context.Background() (no exemplars linked to a trace).
package sessionotel
