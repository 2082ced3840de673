package sessionguard

import "context"

type ctxKey struct{}

// NewContext returns a copy of ctx carrying s. Adapters call it for every
// request with a session, so code below the handler reads the session with
// [FromContext] whatever the framework.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the session stored by [NewContext], if any.
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(*Session)
	return s, ok && s != nil
}
