package sessionissuer

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"net/http"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Refresh is the refresh endpoint, POST <base>/refresh (docs/lifecycle.md §6,
// the table in docs/http.md): the refresh token is read from the
// Authorization header first (scheme Bearer and refresh-token shape; anything
// else there counts as not sent), then from the refresh cookie (the first
// occurrence of refresh-token shape), restricted by the mount's transfer
// method and never upgraded. A success answers with new tokens in the judged
// method and clears the other method's tokens if they were sent; a failed
// judgement clears the judged method only; nothing to judge clears both and
// the marker. A cookie-carried refresh passes the verifier's cross-origin
// check first (403, nothing cleared). Two Authorization fields: 400. A store
// outage: 503 with Retry-After, nothing cleared. Other methods: 405.
func (m *Mount) Refresh() sessionguard.Endpoint { return sessionguard.EndpointFunc(m.serveRefresh) }

// Logout is POST <base>/logout: it revokes the session named by a verified
// access token (read as the verifier reads it, with the mount's transfer
// method), or else by a refresh token read as [Mount.Refresh] reads it, and
// answers 204 clearing both methods' tokens and the marker, whether or not a
// session was found. A cookie-carried credential passes the cross-origin
// check (403); two Authorization fields: 400; a store outage: 503, nothing
// cleared.
func (m *Mount) Logout() sessionguard.Endpoint { return sessionguard.EndpointFunc(m.serveLogout) }

// Sessions is GET <base>/sessions, behind a required session verified by
// the mount's verifier: the caller's live sessions, newest first, as
// `{"sessions":[{"sid","created_at","refreshed_at","expires_at","user_agent",
// "ip","label","current"}]}` (times in unix seconds). Other methods: 405 with
// Allow: GET.
func (m *Mount) Sessions() sessionguard.Endpoint { return sessionguard.EndpointFunc(m.serveSessions) }

// RevokeSession is POST <base>/sessions/revoke with `{"sid":"…"}`, behind a
// required session: it revokes one of the caller's own sessions and answers
// 204. Another user's or an unknown sid is 404 NOT_FOUND (never revealed
// which); a body that is not that JSON object is 400 INVALID_REQUEST.
func (m *Mount) RevokeSession() sessionguard.Endpoint {
	return sessionguard.EndpointFunc(m.serveRevokeSession)
}

// credentials is what a request carries for the refresh endpoint.
type credentials struct {
	header, cookie string // refresh tokens, "" when not sent
	fields         int    // Authorization fields
}

// readCredentials reads the refresh token of the header and of the cookie,
// whatever the transfer method (the table clears what it does not judge).
func (m *Mount) readCredentials(r sessionguard.Request) credentials {
	var c credentials
	cred, n, ok := sessionguard.BearerToken(r)
	c.fields = n
	if ok && LooksLikeRefreshToken(cred) {
		c.header = cred
	}
	var buf [4]string
	for _, v := range sessionguard.CookieValues(r, m.refresh.name, buf[:0]) {
		if LooksLikeRefreshToken(v) {
			c.cookie = v
			break
		}
	}
	return c
}

func (m *Mount) serveRefresh(ctx context.Context, r sessionguard.Request) sessionguard.Response {
	if r.Method() != http.MethodPost {
		return m.methodNotAllowed(http.MethodPost)
	}
	c := m.readCredentials(r)
	if c.fields > 1 {
		return m.badRequest(msgDuplicateAuthz)
	}
	useHeader := c.header != "" && m.cfg.transfer != sessionguard.TransferCookie
	useCookie := !useHeader && c.cookie != "" && m.cfg.transfer != sessionguard.TransferHeader
	switch {
	case useHeader:
		return m.judge(ctx, c.header, false, c.cookie != "")
	case useCookie:
		if !m.v.CrossOriginAllowed(r) {
			return m.v.DefaultResponse(&sessionguard.Error{Code: sessionguard.CodeCrossOriginRequest, Reason: sessionguard.ErrCrossOrigin})
		}
		return m.judge(ctx, c.cookie, true, c.header != "")
	}
	t := newTokenHeaders()
	t.clearCookies(m)
	t.clearHeaders()
	return m.refused(sessionguard.CodeUnauthorised, msgNoRefresh, sessionguard.ChallengeBearer, t)
}

// judge refreshes tok (from the cookie when fromCookie) and answers; other
// reports whether the other method's token was sent too (cleared on
// success).
func (m *Mount) judge(ctx context.Context, tok string, fromCookie, other bool) sessionguard.Response {
	tokens, err := m.i.Refresh(ctx, tok)
	t := newTokenHeaders()
	if err != nil {
		code, msg := sessionguard.CodeUnauthorised, msgNoRefresh
		switch {
		case errors.Is(err, ErrTokenTheft):
			code, msg = CodeTokenTheftDetected, msgTheft
		case errors.Is(err, ErrInvalidRefreshToken):
		default:
			m.logFailure(err)
			return m.storeUnavailable()
		}
		if fromCookie {
			t.clearCookies(m)
		} else {
			t.clearHeaders()
		}
		return m.refused(code, msg, sessionguard.ChallengeInvalidToken, t)
	}
	if fromCookie {
		t.setCookies(m, tokens)
		if other {
			t.clearHeaders()
		}
	} else {
		t.setHeaders(tokens)
		if other {
			t.clearCookies(m)
		}
	}
	return ok(t, tokens)
}

func (m *Mount) serveLogout(ctx context.Context, r sessionguard.Request) sessionguard.Response {
	if r.Method() != http.MethodPost {
		return m.methodNotAllowed(http.MethodPost)
	}
	handle, resp, refused := m.logoutHandle(ctx, r)
	if refused {
		return resp
	}
	if handle != "" {
		if err := m.i.Revoke(ctx, handle); err != nil && !errors.Is(err, ErrNotFound) {
			m.logFailure(err)
			return m.storeUnavailable()
		}
	}
	t := newTokenHeaders()
	t.clearCookies(m)
	t.clearHeaders()
	return sessionguard.Response{Status: http.StatusNoContent, Header: t.finish()}
}

// logoutHandle names the session a logout ends: a verified access token's
// sid first, else a refresh token's session (only when its MAC proves this
// issuer issued it for that session: the handle is public).
func (m *Mount) logoutHandle(ctx context.Context, r sessionguard.Request) (handle string, resp sessionguard.Response, refused bool) {
	s, err := m.optional.Check(ctx, r)
	if err != nil {
		var e *sessionguard.Error
		if errors.As(err, &e) && (e.Code == sessionguard.CodeInvalidRequest || e.Code == sessionguard.CodeCrossOriginRequest) {
			return "", m.optional.Render(err), true
		}
	}
	if s != nil && s.SessionID() != "" {
		return s.SessionID(), resp, false
	}
	c := m.readCredentials(r)
	tok := ""
	switch {
	case c.header != "" && m.cfg.transfer != sessionguard.TransferCookie:
		tok = c.header
	case c.cookie != "" && m.cfg.transfer != sessionguard.TransferHeader:
		if !m.v.CrossOriginAllowed(r) {
			return "", m.v.DefaultResponse(&sessionguard.Error{Code: sessionguard.CodeCrossOriginRequest, Reason: sessionguard.ErrCrossOrigin}), true
		}
		tok = c.cookie
	}
	if tok == "" {
		return "", resp, false
	}
	h, err := m.i.issuedHandle(ctx, tok)
	if err != nil {
		m.logFailure(err)
		return "", m.storeUnavailable(), true
	}
	return h, resp, false
}

// issuedHandle returns the handle of a live session for which this issuer
// issued tok (any token of its lineage), "" when there is none. It judges
// nothing and changes nothing.
func (i *Issuer) issuedHandle(ctx context.Context, tok string) (string, error) {
	rt, ok := parseRefreshToken(tok)
	if !ok {
		return "", nil
	}
	rec, err := i.store.Get(ctx, rt.handle)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", storeErr("get", err)
	}
	st, err := decodeRefreshState(rec.Refresh)
	if err != nil || !rec.RevokedAt.IsZero() {
		return "", nil
	}
	tag := macTag(i.cfg.masterKey, &st.seed, rt.handle, rt.counter, &rt.secret)
	if !hmac.Equal(tag[:], rt.tag[:]) || rt.counter >= st.next {
		return "", nil
	}
	return rt.handle, nil
}

// sessionJSON is one entry of the own-sessions list.
type sessionJSON struct {
	SID         string `json:"sid"`
	CreatedAt   int64  `json:"created_at"`
	RefreshedAt int64  `json:"refreshed_at"`
	ExpiresAt   int64  `json:"expires_at"`
	UserAgent   string `json:"user_agent"`
	IP          string `json:"ip"`
	Label       string `json:"label"`
	Current     bool   `json:"current"`
}

func (m *Mount) serveSessions(ctx context.Context, r sessionguard.Request) sessionguard.Response {
	if r.Method() != http.MethodGet {
		return m.methodNotAllowed(http.MethodGet)
	}
	s, resp, ok := m.caller(ctx, r)
	if !ok {
		return resp
	}
	list, err := m.i.List(ctx, s.Subject(), s.SessionID())
	if err != nil {
		return m.failure(err)
	}
	out := struct {
		Sessions []sessionJSON `json:"sessions"`
	}{Sessions: make([]sessionJSON, 0, len(list))}
	for _, si := range list {
		out.Sessions = append(out.Sessions, sessionJSON{
			SID: si.Handle, CreatedAt: si.CreatedAt.Unix(), RefreshedAt: si.RefreshedAt.Unix(), ExpiresAt: si.ExpiresAt.Unix(),
			UserAgent: si.UserAgent, IP: si.IP, Label: si.Label, Current: si.Current,
		})
	}
	b, _ := json.Marshal(out)
	h := http.Header{"Content-Type": {sessionguard.ContentTypeJSON}, "Cache-Control": {"no-store"}}
	return sessionguard.Response{Status: http.StatusOK, Header: h, Body: b}
}

// caller is the verified session of an own-sessions request.
func (m *Mount) caller(ctx context.Context, r sessionguard.Request) (*sessionguard.Session, sessionguard.Response, bool) {
	s, err := m.required.Check(ctx, r)
	if err != nil {
		return nil, m.required.Render(err), false
	}
	if s == nil || s.SessionID() == "" {
		// An OPTIONS request, or a token without sid: no own sessions.
		return nil, m.v.DefaultResponse(&sessionguard.Error{Code: sessionguard.CodeUnauthorised, Reason: sessionguard.ErrMissingSessionID, TokenRejected: s != nil}), false
	}
	return s, sessionguard.Response{}, true
}

func (m *Mount) serveRevokeSession(ctx context.Context, r sessionguard.Request) sessionguard.Response {
	if r.Method() != http.MethodPost {
		return m.methodNotAllowed(http.MethodPost)
	}
	s, resp, ok := m.caller(ctx, r)
	if !ok {
		return resp
	}
	body, err := sessionguard.ReadBody(r, MaxRequestBody)
	if err != nil {
		return m.badRequest(msgBadBody)
	}
	sid, ok := parseSID(body)
	if !ok {
		return m.badRequest(msgBadBody)
	}
	notFound := m.v.ErrorResponse(http.StatusNotFound, CodeNotFound, msgNotFound, sessionguard.ChallengeNone)
	rec, err := m.i.store.Get(ctx, sid)
	switch {
	case errors.Is(err, ErrNotFound):
		return notFound
	case err != nil:
		m.logFailure(err)
		return m.storeUnavailable()
	case rec.Subject != s.Subject() || !rec.RevokedAt.IsZero() || !m.i.now().Before(rec.ExpiresAt):
		return notFound
	}
	if err := m.i.Revoke(ctx, sid); err != nil {
		if errors.Is(err, ErrNotFound) {
			return notFound
		}
		m.logFailure(err)
		return m.storeUnavailable()
	}
	return sessionguard.Response{Status: http.StatusNoContent, Header: http.Header{"Cache-Control": {"no-store"}}}
}

// parseSID accepts exactly a JSON object with one member "sid", a non-empty
// string, and nothing after it.
func parseSID(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var v struct {
		SID *string `json:"sid"`
	}
	if err := dec.Decode(&v); err != nil || v.SID == nil || *v.SID == "" || dec.More() {
		return "", false
	}
	if _, err := dec.Token(); err == nil {
		return "", false // trailing data
	}
	return *v.SID, true
}
