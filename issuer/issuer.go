package sessionissuer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	sessionguard "github.com/sessionguard/sessionguard/core"
)

// Issuer starts, refreshes and revokes sessions over a [Store]
// (docs/lifecycle.md §2–4) and signs their access tokens (§5). Safe for
// concurrent use; several Issuers (processes) may share one store.
type Issuer struct {
	cfg   config
	store Store
	keys  *keyManager
	revs  *revocationSet
	cache *rowCache
	ks    *sessionguard.KeySource
	now   func() time.Time
	log   *slog.Logger

	issJSON, audJSON []byte // precomputed claim fragments
	accessSecs       int64

	sweepEvery time.Duration
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once
}

// Device describes the client a session was created from; shown by
// [Issuer.List]. UserAgent is cut to 256 bytes, IP to 64 and Label to 256
// (at a UTF-8 boundary).
type Device struct{ UserAgent, IP, Label string }

// Tokens is what [Issuer.Create], [Issuer.Refresh] and
// [Issuer.UpdatePayload] return. RefreshToken is empty from UpdatePayload.
// Tokens are credentials: never log them.
type Tokens struct {
	Handle, Subject           string
	AccessToken, RefreshToken string
	AccessExpiresAt           time.Time
	SessionExpiresAt          time.Time
}

// SessionInfo is one live session in [Issuer.List].
type SessionInfo struct {
	Handle                            string
	CreatedAt, RefreshedAt, ExpiresAt time.Time
	UserAgent, IP, Label              string
	// Current is true for the session whose handle the caller passed.
	Current bool
}

// New returns an Issuer over store. [WithIssuer] is required; every other
// option has a default (see each). It never blocks on the store: the
// signing keys are loaded (or generated, once for all instances) in the
// background, and operations that sign wait for them under their context,
// failing with [ErrStoreUnavailable] meanwhile. Background work (key
// rotation, the revocation feed, the expiry sweep every [SweepInterval])
// runs until [Issuer.Close]. Without [WithMasterKey] it logs a warning.
func New(store Store, opts ...Option) (*Issuer, error) {
	if store == nil {
		return nil, errors.New("sessionissuer: nil store")
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("sessionissuer: nil Option") // as the core treats nil options
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	store = timeoutStore{Store: store, d: cfg.storeTTL}
	km, err := newKeyManager(store, keyConfig{
		Alg: cfg.alg, Rotation: cfg.rotation, JWKSMaxAge: cfg.jwksMaxAge, AccessTTL: cfg.accessTTL,
		MasterKey: cfg.masterKey, Now: cfg.now, Log: cfg.log,
	})
	if err != nil {
		return nil, err
	}
	i := &Issuer{
		cfg: cfg, store: store, keys: km, log: cfg.log,
		// UTC milliseconds: the precision every store keeps, so a time the
		// issuer returns is the time a store returns.
		now:        func() time.Time { return cfg.now().UTC().Truncate(time.Millisecond) },
		revs:       newRevocationSet(cfg.accessTTL),
		cache:      newRowCache(rowCacheSize),
		accessSecs: int64((cfg.accessTTL + time.Second - 1) / time.Second),
		sweepEvery: SweepInterval,
	}
	i.issJSON, _ = json.Marshal(cfg.issuer)
	switch len(cfg.audience) {
	case 0:
	case 1:
		i.audJSON, _ = json.Marshal(cfg.audience[0])
	default:
		i.audJSON, _ = json.Marshal(cfg.audience)
	}
	i.ks = i.newKeySource()
	if cfg.masterKey == nil {
		i.log.Warn("sessionissuer: no master key configured: private signing keys are stored unencrypted and refresh-token tags are keyed from the store (docs/issuer.md)")
	}
	km.start()
	ctx, cancel := context.WithCancel(context.Background())
	i.cancel = cancel
	i.wg.Add(2)
	go func() { defer i.wg.Done(); i.watch(ctx) }()
	go func() { defer i.wg.Done(); i.sweepLoop(ctx) }()
	return i, nil
}

// Ready waits until the signing keys are loaded (or generated) from the
// store, or ctx ends. Operations that sign wait for the keys by themselves;
// call Ready to fail fast at startup or in a readiness probe.
func (i *Issuer) Ready(ctx context.Context) error { return i.keys.ready(ctx) }

// Close stops the background work (key rotation, revocation feed, expiry
// sweep) and waits for it. It does not close the store. Idempotent.
func (i *Issuer) Close() error {
	i.closeOnce.Do(func() {
		i.cancel()
		i.wg.Wait()
		i.keys.close()
	})
	return nil
}

// Create starts a session for subject, whom the application has already
// authenticated (docs/lifecycle.md §2): it signs the access token, writes
// the row, and returns both tokens. An empty or oversized subject
// ([ErrInvalidSubject]), a reserved claim name ([ErrReservedClaim]), a
// payload over the size cap ([ErrPayloadTooLarge]) or one JSON cannot
// encode ([ErrInvalidPayload]) stores nothing; a store failure
// ([ErrStoreUnavailable]) leaves nothing half-written (the row is the only
// write, and it is atomic).
func (i *Issuer) Create(ctx context.Context, subject string, payload map[string]any, dev Device) (_ *Tokens, err error) {
	defer i.observe(sessionguard.IssuerCreate, i.opStart(), &err)
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	p, err := i.encodePayload(payload)
	if err != nil {
		return nil, err
	}
	handle, err := newHandle()
	if err != nil {
		return nil, err
	}
	st := &refreshState{next: 1}
	if err := randomSeed(&st.seed); err != nil {
		return nil, err
	}
	rt, hash, err := newRefreshToken(i.cfg.masterKey, &st.seed, handle, 0)
	if err != nil {
		return nil, err
	}
	st.cur = tokenEntry{ctr: 0, hash: hash}
	now := i.now()
	rec := &Record{
		Handle: handle, Subject: subject,
		CreatedAt: now, RefreshedAt: now, ExpiresAt: i.expiry(now, now),
		UserAgent: cut(dev.UserAgent, 256), IP: cut(dev.IP, 64), Label: cut(dev.Label, 256),
		Payload: p, Refresh: st.encode(),
	}
	// Sign before writing: a signing failure then stores nothing.
	access, accessExp, err := i.signAccess(ctx, subject, handle, p, now)
	if err != nil {
		return nil, err
	}
	if err := i.store.Create(ctx, rec); err != nil {
		return nil, storeErr("create", err)
	}
	rec.Version = 1
	i.cache.put(rec)
	return &Tokens{
		Handle: handle, Subject: subject, AccessToken: access, RefreshToken: rt.String(),
		AccessExpiresAt: accessExp, SessionExpiresAt: rec.ExpiresAt,
	}, nil
}

// maxSwapAttempts bounds compare-and-swap retries of one refresh. Each
// failed swap means another refresh of the session succeeded, so this is
// only reached under extreme contention; the answer is then
// ErrStoreUnavailable (retry later), never a logout.
const maxSwapAttempts = 1000

// Refresh rotates a session's refresh token (docs/lifecycle.md §3): on
// success it returns a new access token carrying the session's current
// payload and a new refresh token, and moves the session's expiry to now +
// session lifetime (capped by [WithAbsoluteTTL]). Refusals:
// [ErrInvalidRefreshToken] (rows 4–5: the session is unharmed),
// [ErrTokenTheft] (row 3: the session has been revoked, the theft hook ran),
// [ErrStoreUnavailable] (nothing was decided). The refresh is answered only
// after the store recorded it, so an answered success survives a crash.
func (i *Issuer) Refresh(ctx context.Context, refreshToken string) (_ *Tokens, err error) {
	defer i.observe(sessionguard.IssuerRefresh, i.opStart(), &err)
	rt, ok := parseRefreshToken(refreshToken)
	if !ok {
		return nil, refused(ErrInvalidRefreshToken, "malformed")
	}
	now := i.now()
	nowMs := now.UnixMilli()
	rec, fresh := i.cache.get(rt.handle), false
	for attempt := 0; ; attempt++ {
		if rec == nil {
			r, err := i.store.Get(ctx, rt.handle)
			if errors.Is(err, ErrNotFound) {
				i.cache.drop(rt.handle)
				return nil, refused(ErrInvalidRefreshToken, "unknown session")
			}
			if err != nil {
				return nil, storeErr("get", err)
			}
			rec, fresh = r, true
		}
		if attempt >= maxSwapAttempts {
			return nil, storeErr("refresh", errors.New("too much contention on one session"))
		}
		if !rec.RevokedAt.IsZero() || !now.Before(rec.ExpiresAt) {
			if !fresh {
				rec = nil // a cached row may be stale: judge the stored one
				continue
			}
			return nil, refused(ErrInvalidRefreshToken, "session revoked or expired")
		}
		st, err := decodeRefreshState(rec.Refresh)
		if err != nil {
			if !fresh {
				rec = nil
				continue
			}
			i.log.Error("sessionissuer: unreadable refresh state; no token of the session is honoured", "sid", rec.Handle)
			return nil, refused(ErrInvalidRefreshToken, "unreadable session state")
		}
		v, which := st.classify(i.cfg.masterKey, &rt, nowMs)
		if !v.success() && v != verdictForged && !fresh {
			rec = nil // only a stored row may refuse or accuse
			continue
		}
		switch v {
		case verdictInvalid, verdictForged:
			return nil, refused(ErrInvalidRefreshToken, "not issued for this session")
		case verdictDropped:
			return nil, refused(ErrInvalidRefreshToken, "superseded by newer refresh tokens")
		case verdictTheft:
			return nil, i.theft(ctx, rec, now)
		}
		child, hash, err := newRefreshToken(i.cfg.masterKey, &st.seed, rt.handle, st.next)
		if err != nil {
			return nil, err
		}
		if ctr := st.answer(v, which, nowMs, i.cfg.grace.Milliseconds(), hash); ctr != child.counter {
			return nil, errors.New("sessionissuer: internal counter mismatch")
		}
		u := RefreshUpdate{Refresh: st.encode(), RefreshedAt: now, ExpiresAt: i.expiry(rec.CreatedAt, now)}
		got, ok, err := i.store.SwapRefresh(ctx, rt.handle, rec.Version, u)
		if err != nil {
			return nil, storeErr("swap", err)
		}
		if !ok {
			// Another refresh won (or the session was revoked): judge again
			// from the row as stored, without another round trip.
			if got == nil {
				i.cache.drop(rt.handle)
				return nil, refused(ErrInvalidRefreshToken, "unknown session")
			}
			rec, fresh = got, true
			continue
		}
		i.cache.put(got)
		access, accessExp, err := i.signAccess(ctx, got.Subject, got.Handle, got.Payload, now)
		if err != nil {
			// Recorded but not answered: the presented token is retriable
			// within the grace period.
			return nil, err
		}
		return &Tokens{
			Handle: got.Handle, Subject: got.Subject, AccessToken: access, RefreshToken: child.String(),
			AccessExpiresAt: accessExp, SessionExpiresAt: got.ExpiresAt,
		}, nil
	}
}

// theft revokes the session of a replayed token (row 3), runs the hook once
// per session, and logs without tokens.
func (i *Issuer) theft(ctx context.Context, rec *Record, now time.Time) error {
	began := i.opStart()
	ok, err := i.store.Revoke(ctx, rec.Handle, now)
	defer i.observe(sessionguard.IssuerTheft, began, &err) // ok: the family is revoked
	if err != nil {
		return storeErr("revoke", err)
	}
	i.cache.drop(rec.Handle)
	i.revs.add(rec.Handle, now, now)
	if ok {
		i.log.Warn("sessionissuer: refresh token reused after its grace period; session revoked (TOKEN_THEFT_DETECTED)",
			"sid", rec.Handle, "sub", rec.Subject, "ip", rec.IP, "user_agent", rec.UserAgent)
		if i.cfg.theftHook != nil {
			i.cfg.theftHook(ctx, Theft{Handle: rec.Handle, Subject: rec.Subject,
				Device: Device{UserAgent: rec.UserAgent, IP: rec.IP, Label: rec.Label}})
		}
	}
	return ErrTokenTheft
}

// Revoke ends the session handle (docs/lifecycle.md §4): refresh fails from
// then on, and routes with the revocation check refuse its access tokens at
// once in this process and within 2 s in others. Revoking a revoked session
// is a no-op; an unknown handle is [ErrNotFound].
func (i *Issuer) Revoke(ctx context.Context, handle string) (err error) {
	defer i.observe(sessionguard.IssuerRevoke, i.opStart(), &err)
	if handle == "" {
		return ErrNotFound
	}
	now := i.now()
	ok, err := i.store.Revoke(ctx, handle, now)
	if err != nil {
		return storeErr("revoke", err)
	}
	i.cache.drop(handle)
	if ok {
		i.revs.add(handle, now, now)
		return nil
	}
	rec, err := i.store.Get(ctx, handle)
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return storeErr("get", err)
	}
	i.revs.add(handle, rec.RevokedAt, now)
	return nil
}

// RevokeAll ends every live session of subject (logout everywhere). An
// empty, oversized or non-UTF-8 subject is [ErrInvalidSubject]; a subject
// without sessions is no error.
func (i *Issuer) RevokeAll(ctx context.Context, subject string) (err error) {
	defer i.observe(sessionguard.IssuerRevoke, i.opStart(), &err)
	if err := checkSubject(subject); err != nil {
		return err
	}
	return i.revokeSubject(ctx, subject, "")
}

// RevokeOthers ends every live session of subject except keep (typically
// the caller's own). keep must be a session of subject, otherwise
// [ErrNotFound] and nothing is revoked: a mistaken empty or foreign handle
// never turns this into RevokeAll.
func (i *Issuer) RevokeOthers(ctx context.Context, subject, keep string) (err error) {
	defer i.observe(sessionguard.IssuerRevoke, i.opStart(), &err)
	if err := checkSubject(subject); err != nil {
		return err
	}
	if keep == "" {
		return ErrNotFound
	}
	rec, err := i.store.Get(ctx, keep)
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return storeErr("get", err)
	}
	if rec.Subject != subject {
		return ErrNotFound
	}
	return i.revokeSubject(ctx, subject, keep)
}

func (i *Issuer) revokeSubject(ctx context.Context, subject, keep string) error {
	now := i.now()
	handles, err := i.store.RevokeSubject(ctx, subject, keep, now)
	if err != nil {
		return storeErr("revoke subject", err)
	}
	for _, h := range handles {
		i.cache.drop(h)
		i.revs.add(h, now, now)
	}
	return nil
}

// List returns subject's live sessions, newest first (docs/lifecycle.md
// §4); the one whose handle is current is marked Current ("" marks none).
// An invalid subject is [ErrInvalidSubject].
func (i *Issuer) List(ctx context.Context, subject, current string) ([]SessionInfo, error) {
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	recs, err := i.store.List(ctx, subject, i.now())
	if err != nil {
		return nil, storeErr("list", err)
	}
	out := make([]SessionInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, SessionInfo{
			Handle: r.Handle, CreatedAt: r.CreatedAt, RefreshedAt: r.RefreshedAt, ExpiresAt: r.ExpiresAt,
			UserAgent: r.UserAgent, IP: r.IP, Label: r.Label, Current: current != "" && r.Handle == current,
		})
	}
	return out, nil
}

// UpdatePayload replaces the payload of the live session handle (same
// checks as [Issuer.Create]) and returns a new access token carrying it
// (RefreshToken empty; docs/lifecycle.md §4). Other sessions of the subject
// are untouched; later refreshes carry the new payload. An unknown, revoked
// or expired session is [ErrNotFound].
func (i *Issuer) UpdatePayload(ctx context.Context, handle string, payload map[string]any) (_ *Tokens, err error) {
	defer i.observe(sessionguard.IssuerUpdate, i.opStart(), &err)
	p, err := i.encodePayload(payload)
	if err != nil {
		return nil, err
	}
	if handle == "" {
		return nil, ErrNotFound
	}
	now := i.now()
	rec, err := i.store.Get(ctx, handle)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, storeErr("get", err)
	}
	if !rec.RevokedAt.IsZero() || !now.Before(rec.ExpiresAt) {
		return nil, ErrNotFound
	}
	ok, err := i.store.SetPayload(ctx, handle, p)
	if err != nil {
		return nil, storeErr("set payload", err)
	}
	if !ok {
		return nil, ErrNotFound
	}
	access, accessExp, err := i.signAccess(ctx, rec.Subject, handle, p, now)
	if err != nil {
		return nil, err
	}
	return &Tokens{Handle: handle, Subject: rec.Subject, AccessToken: access,
		AccessExpiresAt: accessExp, SessionExpiresAt: rec.ExpiresAt}, nil
}

// JWKS returns the published public keys as a JWK Set document and the
// max-age to serve it with (docs/lifecycle.md §5). The document is shared:
// do not modify it.
func (i *Issuer) JWKS() (doc []byte, maxAge time.Duration) { return i.keys.jwks() }

// KeySource is a key source for a verifier in this process: it reads the
// issuer's published keys directly, with no HTTP fetch (docs/lifecycle.md
// §5).
func (i *Issuer) KeySource() *sessionguard.KeySource { return i.ks }

// VerifierOptions are the core verifier options matching this issuer:
// WithIssuer(iss, [Issuer.KeySource]), WithAudience when configured, and the
// access and marker cookie names. Every token the issuer signs verifies
// under them (docs/semantics.md). Build the verifier after [Issuer.Ready]:
// before the first key ring is loaded the key source has no keys, and the
// core retries its first load after a second.
func (i *Issuer) VerifierOptions() []sessionguard.Option {
	opts := []sessionguard.Option{sessionguard.WithIssuer(i.cfg.issuer, i.ks)}
	if len(i.cfg.audience) > 0 {
		opts = append(opts, sessionguard.WithAudience(i.cfg.audience...))
	}
	return append(opts, sessionguard.WithCookie(i.cfg.accessCookie), sessionguard.WithRefreshMarker(i.cfg.markerCookie))
}

// CookieNames returns the access, refresh and marker cookie names
// ([WithCookieNames]).
func (i *Issuer) CookieNames() (access, refresh, marker string) {
	return i.cfg.accessCookie, i.cfg.refreshCookie, i.cfg.markerCookie
}

// AccessTTL and SessionTTL return the configured lifetimes (for cookie
// Max-Age in the HTTP layer).
func (i *Issuer) AccessTTL() time.Duration  { return i.cfg.accessTTL }
func (i *Issuer) SessionTTL() time.Duration { return i.cfg.sessionTTL }

// expiry is the sliding expiry at now, capped by the absolute maximum.
func (i *Issuer) expiry(created, now time.Time) time.Time {
	exp := now.Add(i.cfg.sessionTTL)
	if i.cfg.absolute > 0 {
		if limit := created.Add(i.cfg.absolute); limit.Before(exp) {
			exp = limit
		}
	}
	return exp
}

// signAccess builds the claims (iss, sub, sid, iat, exp, aud, then the
// payload's members) and signs them.
func (i *Issuer) signAccess(ctx context.Context, sub, sid string, payload []byte, now time.Time) (string, time.Time, error) {
	iat := now.Unix()
	exp := iat + i.accessSecs
	subJSON, _ := json.Marshal(sub)
	b := make([]byte, 0, 96+len(i.issJSON)+len(subJSON)+len(sid)+len(i.audJSON)+len(payload))
	b = append(b, `{"iss":`...)
	b = append(b, i.issJSON...)
	b = append(b, `,"sub":`...)
	b = append(b, subJSON...)
	b = append(b, `,"sid":"`...)
	b = append(b, sid...) // base64url: no escaping needed
	b = append(b, `","iat":`...)
	b = strconv.AppendInt(b, iat, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, exp, 10)
	if i.audJSON != nil {
		b = append(b, `,"aud":`...)
		b = append(b, i.audJSON...)
	}
	if len(payload) > 2 { // "{...}" with members
		b = append(b, ',')
		b = append(b, payload[1:len(payload)-1]...)
	}
	b = append(b, '}')
	tok, err := i.keys.sign(ctx, b)
	if err != nil {
		if errors.Is(err, ErrStoreUnavailable) {
			return "", time.Time{}, err
		}
		return "", time.Time{}, storeErr("sign", err)
	}
	return tok, time.Unix(exp, 0).UTC(), nil
}

var reserved = map[string]bool{"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true, "sid": true}

// encodePayload checks and encodes an application payload
// (docs/lifecycle.md §1–2).
func (i *Issuer) encodePayload(p map[string]any) ([]byte, error) {
	for k := range p {
		if reserved[k] {
			return nil, refused(ErrReservedClaim, "registered claims are set by the issuer")
		}
	}
	if len(p) == 0 {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, ErrInvalidPayload // the encoder's text may quote values
	}
	if len(b) > i.cfg.maxPayload {
		return nil, ErrPayloadTooLarge
	}
	return b, nil
}

func checkSubject(s string) error {
	if s == "" {
		return refused(ErrInvalidSubject, "empty")
	}
	if len(s) > MaxSubjectSize {
		return refused(ErrInvalidSubject, "too long")
	}
	if !utf8.ValidString(s) {
		return refused(ErrInvalidSubject, "not UTF-8")
	}
	return nil
}

// cut shortens s to at most n bytes at a UTF-8 boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
