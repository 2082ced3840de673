package sessionissuer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// This file holds the signing keys' lifecycle (docs/lifecycle.md §5,
// docs/issuer-keys.md): when to generate, publish, activate, retire and
// unpublish a key, the compare-and-swap that lets exactly one instance do it,
// and the background loop that reloads the ring so every instance follows.
//
// Timeline of one rotation, with R the rotation period, M the JWKS max-age,
// T the access-token lifetime and L the verifier's default leeway (30 s):
//
//	publish P ──lead──▶ activate A ──R──▶ successor activates (retire) ──T+L──▶ unpublish
//	lead = min(M + reload interval, R/2)
//
// The successor of a key activating at A is published at A + R - lead and
// activates at A + R (or, after downtime, lead after it is published).

const (
	defaultRotation   = 7 * 24 * time.Hour
	defaultJWKSMaxAge = 10 * time.Minute
	defaultAccessTTL  = 15 * time.Minute
	// verifierLeeway is the core verifier's default leeway
	// (sessionguard.DefaultLeeway): a token is accepted until exp + 30 s, so
	// its key stays published that long.
	verifierLeeway = 30 * time.Second
	// minRotation keeps the schedule meaningful (a lead of at least 500 ms).
	minRotation = time.Second
	// maxReload bounds the interval at which an instance reloads the ring.
	maxReload = time.Minute
	minReload = time.Second
	// maxPublished bounds how many keys a configuration may keep published
	// at once (a rotation much shorter than the access lifetime).
	maxPublished = 32
	// maxBackoff bounds the wait between retries after a store failure.
	maxBackoff = 30 * time.Second
	// casAttempts is how often one step reloads after losing a swap.
	casAttempts = 4
	// stepTimeout bounds the store calls of one step (a store must honour
	// its context), and so how long a sign waits for the first load.
	stepTimeout = 5 * time.Second
)

// keyConfig configures a [keyManager]. Zero durations take the defaults:
// Rotation 7 days, JWKSMaxAge 10 minutes, AccessTTL 15 minutes; Alg "" is
// ES256; Now nil is time.Now; Log nil discards.
type keyConfig struct {
	Alg                             string
	Rotation, JWKSMaxAge, AccessTTL time.Duration
	// MasterKey, 32 bytes, seals private keys at rest with AES-256-GCM; nil
	// stores them unencrypted (docs/issuer-keys.md says to configure one).
	MasterKey []byte
	Now       func() time.Time
	Log       *slog.Logger
}

// keyManager signs with the current key of the ring kept in the store and
// publishes the ring's public keys. Safe for concurrent use.
type keyManager struct {
	st     Store
	cfg    keyConfig
	seal   *sealer
	lead   time.Duration // how long a new key is published before it signs
	reload time.Duration // how often the ring is reloaded from the store
	// firstBackoff is the first retry delay after a failure (1 s).
	firstBackoff time.Duration

	ring atomic.Pointer[loadedRing]
	jwk  atomic.Pointer[jwksCache]

	readyCh   chan struct{}
	readyOnce sync.Once
	failCh    chan struct{} // closed at the first ring (not store) error
	firstTry  chan struct{} // closed when the first background step has returned
	failOnce  sync.Once
	mu        sync.Mutex
	lastErr   error

	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{}
	startOnce sync.Once
	started   atomic.Bool
	closeOnce sync.Once
}

// loadedRing is the ring as installed: immutable.
type loadedRing struct {
	keys    []*ringKey // sorted by activation
	version uint64     // the store's version of the blob they came from
}

// newKeyManager validates c and applies its defaults. It does not touch the
// store; [keyManager.start] does.
func newKeyManager(st Store, c keyConfig) (*keyManager, error) {
	if st == nil {
		return nil, errors.New("sessionissuer: keys: nil store")
	}
	if c.Alg == "" {
		c.Alg = DefaultAlgorithm
	}
	if !validAlg(c.Alg) {
		return nil, fmt.Errorf("sessionissuer: keys: algorithm %q is not ES256, EdDSA or RS256", c.Alg)
	}
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
		n   string
	}{{&c.Rotation, defaultRotation, "rotation period"}, {&c.JWKSMaxAge, defaultJWKSMaxAge, "JWKS max-age"}, {&c.AccessTTL, defaultAccessTTL, "access lifetime"}} {
		if *d.p < 0 {
			return nil, fmt.Errorf("sessionissuer: keys: negative %s", d.n)
		}
		if *d.p == 0 {
			*d.p = d.def
		}
	}
	if c.Rotation < minRotation {
		return nil, errors.New("sessionissuer: keys: rotation period under 1s")
	}
	if n := (c.AccessTTL+verifierLeeway)/c.Rotation + 3; n > maxPublished {
		return nil, fmt.Errorf("sessionissuer: keys: rotation period too short for the access lifetime (over %d keys published at once)", maxPublished)
	}
	if c.MasterKey != nil && len(c.MasterKey) != masterKeySize {
		return nil, errors.New("sessionissuer: keys: master key must be 32 bytes (AES-256)")
	}
	s, err := newSealer(c.MasterKey)
	if err != nil {
		return nil, fmt.Errorf("sessionissuer: keys: %w", err)
	}
	c.MasterKey = nil // only the derived keys are kept
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	m := &keyManager{
		st: st, cfg: c, seal: s, firstBackoff: time.Second,
		readyCh: make(chan struct{}), failCh: make(chan struct{}), firstTry: make(chan struct{}),
		done: make(chan struct{}),
	}
	m.reload, m.lead = schedule(c.Rotation, c.JWKSMaxAge)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m, nil
}

// schedule derives the reload interval (a quarter of the smaller of max-age
// and half the rotation, within 1 s .. 1 min) and the pre-publication lead
// (max-age plus one reload interval, so every instance has reloaded and
// published the key a full max-age before it signs; at most half the
// rotation period).
func schedule(rotation, maxAge time.Duration) (reload, lead time.Duration) {
	reload = min(maxAge, rotation/2) / 4
	reload = max(min(reload, maxReload), minReload)
	lead = min(maxAge+reload, rotation/2)
	return reload, lead
}

// start begins loading (or generating) the ring in the background, then
// rotating and reloading it. It returns at once; calling it again does
// nothing.
func (m *keyManager) start() {
	m.startOnce.Do(func() {
		m.started.Store(true)
		go m.run()
	})
}

// ready waits until a ring is loaded. It returns early with an error
// wrapping [ErrMasterKey] or [ErrKeyRing] when the stored ring cannot be
// used, and an error wrapping [ErrStoreUnavailable] and ctx.Err() when ctx
// ends first.
func (m *keyManager) ready(ctx context.Context) error {
	if m.ring.Load() != nil {
		return nil
	}
	select {
	case <-m.readyCh:
		return nil
	case <-m.failCh:
		if m.ring.Load() != nil {
			return nil
		}
		return m.lastError()
	case <-m.done:
		if m.ring.Load() != nil {
			return nil
		}
		return errors.New("sessionissuer: keys: closed before a key was loaded")
	case <-ctx.Done():
		return newKeyError("sessionissuer: signing keys not loaded yet", ErrStoreUnavailable, ctx.Err())
	}
}

// close stops the background loop and waits for it. Keys already loaded
// keep signing.
func (m *keyManager) close() {
	m.closeOnce.Do(func() {
		// Never started: there is no loop to wait for, and start becomes a
		// no-op from now on.
		m.startOnce.Do(func() { close(m.done) })
		m.cancel()
		<-m.done
	})
}

// sign returns the compact JWS of claims (a JSON object) signed with the
// current key: header {"alg","kid","typ":"JWT"}. Right after start it waits
// for the first load of the ring (at most one store round trip, bounded by
// ctx and 5 s), so a session can be created at once; while no key is
// loaded after that, the error wraps [ErrStoreUnavailable] (and
// [ErrMasterKey] or [ErrKeyRing] when the stored ring is unusable).
func (m *keyManager) sign(ctx context.Context, claims []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if len(claims) < 2 || claims[0] != '{' || claims[len(claims)-1] != '}' {
		return "", errors.New("sessionissuer: claims are not a JSON object")
	}
	lr := m.ring.Load()
	if lr == nil && m.started.Load() {
		select {
		case <-m.firstTry:
		case <-m.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		lr = m.ring.Load()
	}
	if lr == nil {
		return "", newKeyError("sessionissuer: no signing key loaded yet", ErrStoreUnavailable, m.lastError())
	}
	tok, err := compactJWS(signingKey(lr.keys, m.cfg.Now()), claims)
	if err != nil {
		return "", errors.New("sessionissuer: signing failed")
	}
	return tok, nil
}

// signingKey is the key that signs at now: the latest whose activation has
// come. When none has (this instance's clock is behind the one that wrote
// the ring), the earliest: it is published already.
func signingKey(keys []*ringKey, now time.Time) *ringKey {
	k := keys[0]
	for _, c := range keys[1:] {
		if !c.activates.After(now) {
			k = c
		}
	}
	return k
}

// published reports whether k is in the JWKS at now.
func (k *ringKey) publishedAt(now time.Time) bool {
	return k.unpublish.IsZero() || now.Before(k.unpublish)
}

// run is the background loop: a step, then a wait until the next reload or
// scheduled rotation, or a backoff after a failure.
func (m *keyManager) run() {
	defer close(m.done)
	backoff := m.firstBackoff
	for first := true; ; first = false {
		ctx, cancel := context.WithTimeout(m.ctx, stepTimeout)
		err := m.step(ctx)
		cancel()
		if first {
			if err != nil && m.ctx.Err() == nil {
				m.noteError(err)
			}
			close(m.firstTry)
		}
		var wait time.Duration
		if err != nil {
			if m.ctx.Err() != nil {
				return
			}
			if !first {
				m.noteError(err)
			}
			wait = backoff
			backoff = min(backoff*2, maxBackoff, max(m.reload, m.firstBackoff))
		} else {
			backoff = m.firstBackoff
			wait = m.nextWake()
			m.mu.Lock()
			m.lastErr = nil
			m.mu.Unlock()
		}
		t := time.NewTimer(wait)
		select {
		case <-m.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// noteError records and logs a failed step. Store errors are logged without
// their text (it may carry connection strings); ring errors are this
// package's own fixed texts.
func (m *keyManager) noteError(err error) {
	m.mu.Lock()
	m.lastErr = err
	m.mu.Unlock()
	if errors.Is(err, ErrMasterKey) || errors.Is(err, ErrKeyRing) {
		m.failOnce.Do(func() { close(m.failCh) })
		m.cfg.Log.Error("sessionissuer: signing keys: stored key ring unusable; keeping the keys loaded, not overwriting the store", "err", err.Error())
		return
	}
	m.cfg.Log.Warn("sessionissuer: signing keys: key ring not loaded or rotated; retrying", "store_unavailable", errors.Is(err, ErrStoreUnavailable))
}

func (m *keyManager) lastError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastErr
}

// nextWake is the time until the next step: the reload interval, or less
// when the next rotation is due sooner.
func (m *keyManager) nextWake() time.Duration {
	wait := m.reload
	if lr := m.ring.Load(); lr != nil {
		newest := lr.keys[len(lr.keys)-1]
		due := newest.activates.Add(m.cfg.Rotation - m.lead)
		if d := due.Sub(m.cfg.Now()); d < wait {
			wait = d
		}
	}
	return max(wait, 10*time.Millisecond)
}

// step loads the ring, plans the schedule at now, and when the plan changes
// the ring writes it with a compare-and-swap; a lost swap means another
// instance wrote first, so the ring is reloaded and planned again. A
// successful load is installed even when the write then fails, so a store
// error never loses a key; a failed load keeps the ring installed.
func (m *keyManager) step(ctx context.Context) error {
	for range casAttempts {
		blob, ver, err := m.st.LoadKeys(ctx)
		if err != nil {
			return newKeyError("sessionissuer: loading the key ring failed", ErrStoreUnavailable, err)
		}
		var keys []*ringKey
		cur := m.ring.Load()
		switch {
		case ver == 0:
		case cur != nil && cur.version == ver:
			keys = cur.keys
		default:
			if keys, err = decodeRing(blob, m.seal); err != nil {
				return err
			}
		}
		next, changed, err := m.plan(keys, m.cfg.Now())
		if err != nil {
			if keys != nil {
				m.install(keys, ver)
			}
			return err
		}
		if !changed {
			m.install(keys, ver)
			return nil
		}
		nb, err := encodeRing(next, m.seal)
		if err != nil {
			return err
		}
		ok, err := m.st.SwapKeys(ctx, ver, nb)
		if err != nil {
			if keys != nil {
				m.install(keys, ver)
			}
			return newKeyError("sessionissuer: storing the key ring failed", ErrStoreUnavailable, err)
		}
		if ok {
			m.install(next, ver+1)
			return nil
		}
		m.cfg.Log.Debug("sessionissuer: signing keys: another instance wrote the key ring first; reloading")
	}
	return nil // lost every race: the next step (soon) reloads
}

// install makes keys the ring in use.
func (m *keyManager) install(keys []*ringKey, ver uint64) {
	if len(keys) == 0 {
		return
	}
	if cur := m.ring.Load(); cur == nil || cur.version != ver || &cur.keys[0] != &keys[0] {
		m.ring.Store(&loadedRing{keys: keys, version: ver}) // a new ring: the JWKS cache sees the new pointer
	}
	m.readyOnce.Do(func() { close(m.readyCh) })
}

// plan returns the ring as it should be at now and whether that differs
// from keys: the first key when there is none; keys past their unpublish
// time dropped; a successor published lead before it activates once the
// newest key is within lead of its rotation, or when the newest key's
// algorithm is not the configured one.
func (m *keyManager) plan(keys []*ringKey, now time.Time) ([]*ringKey, bool, error) {
	now = now.Truncate(time.Millisecond) // the store's precision
	if len(keys) == 0 {
		k, err := newRingKey(m.cfg.Alg, m.seal, now, now)
		if err != nil {
			return nil, false, err
		}
		return []*ringKey{k}, true, nil
	}
	changed := false
	next := make([]*ringKey, 0, len(keys)+1)
	for i, k := range keys {
		last := i == len(keys)-1
		if !last && (k.retires.IsZero() || k.unpublish.IsZero()) {
			// Every key but the newest has a successor and an unpublish
			// time; repair a ring that says otherwise, so no key stays
			// published for ever.
			c := *k
			if c.retires.IsZero() {
				c.retires = keys[i+1].activates
			}
			c.unpublish = m.unpublishAt(c.retires)
			k, changed = &c, true
		}
		if !k.unpublish.IsZero() && !now.Before(k.unpublish) && !last {
			changed = true
			continue
		}
		next = append(next, k)
	}
	newest := next[len(next)-1]
	if newest.activates.After(now) {
		return next, changed, nil // a successor is already waiting
	}
	due := !now.Before(newest.activates.Add(m.cfg.Rotation - m.lead))
	if !due && newest.alg == m.cfg.Alg {
		return next, changed, nil
	}
	// Due means now ≥ A + R - lead, so now + lead is A + R when the step runs
	// on time and later after downtime: never less than lead after publication.
	act := now.Add(m.lead)
	if newest.alg != m.cfg.Alg {
		m.cfg.Log.Info("sessionissuer: signing keys: rotating to the configured algorithm", "from", newest.alg, "to", m.cfg.Alg)
	}
	s, err := newRingKey(m.cfg.Alg, m.seal, now, act)
	if err != nil {
		return nil, false, err
	}
	c := *newest
	c.retires = act
	c.unpublish = m.unpublishAt(act)
	next[len(next)-1] = &c
	return append(next, s), true, nil
}

// unpublishAt is when a key retiring at retire leaves the JWKS: after the
// last token it signed (exp at most retire + access lifetime) has expired
// plus the verifier's leeway, rounded up to a whole second (exp is in
// seconds).
func (m *keyManager) unpublishAt(retire time.Time) time.Time {
	t := retire.Add(m.cfg.AccessTTL + verifierLeeway)
	if r := t.Truncate(time.Second); !r.Equal(t) {
		t = r.Add(time.Second)
	}
	return t
}

// keyError is an error whose text is fixed by this package and whose causes
// (ErrStoreUnavailable, a store's or context's error) stay reachable through
// errors.Is and errors.As without their text appearing in the message.
type keyError struct {
	msg    string
	causes []error
}

// newKeyError drops nil causes.
func newKeyError(msg string, causes ...error) *keyError {
	e := &keyError{msg: msg}
	for _, c := range causes {
		if c != nil {
			e.causes = append(e.causes, c)
		}
	}
	return e
}

func (e *keyError) Error() string   { return e.msg }
func (e *keyError) Unwrap() []error { return e.causes }
