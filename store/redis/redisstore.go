package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// LayoutVersion is the version of the key layout this package reads and
// writes; it is part of every data key ("sg:v1:…") and stored under the
// prefix's "layout" key by [Store.Migrate].
const LayoutVersion = 1

// ErrLayout is returned by [New] and [Store.Migrate] when the database holds
// a key layout this version of the package does not know (written by a
// newer release): upgrade before you point it at that data.
var ErrLayout = errors.New("redisstore: unknown key layout version")

// errExists is Create's error for a handle already present.
var errExists = errors.New("redisstore: a session with this handle exists")

// errNotReplicated is a write's error under [WithWaitReplicas] when too few
// replicas acknowledged it in time.
var errNotReplicated = errors.New("redisstore: write not acknowledged by enough replicas")

// One DeleteExpired call reads at most maxScanPages SCAN pages of
// scanCount keys each: on a large keyspace mostly made of other keys, a
// round of the walk is spread over many calls.
const (
	maxScanPages = 16
	scanCount    = 1000
)

// revokeBatch bounds the rows one revoke script touches, so a subject with
// very many sessions does not hold the server for long.
const revokeBatch = 256

// Store is a [sessionissuer.Store] kept in Redis. It is safe for concurrent
// use and shared by any number of processes pointed at the same database
// and prefix.
//
// Consistency: every write is one Lua script, atomic on the server; reads
// see every write the server answered before them (one primary; replicas
// are never read).
//
// Durability: a Store is exactly as durable as the server is configured to
// be. With no persistence (as the test server runs) a restart loses every
// session: users sign in again, nothing worse; with RDB snapshots only, a
// crash loses what was written since the last one. With AOF and appendfsync always, an answered write is on
// disk, so an answered refresh survives a crash (docs/lifecycle.md §3);
// with appendfsync everysec up to about a second of writes can be lost.
// Replication is asynchronous unless the operator configures
// min-replicas-to-write. These are the operator's choices
// (docs/stores.md).
type Store struct {
	client    redis.UniversalClient
	ownClient bool
	// ctxTimeouts reports whether the client puts a context's deadline on
	// its sockets (ContextTimeoutEnabled); otherwise calls with a deadline
	// are bounded by the store itself.
	ctxTimeouts bool

	cfg        config
	keepUS     string // retention in microseconds, for the scripts
	layoutKey  string
	rowPrefix  string
	subjPrefix string
	feedKey    string
	channel    string
	keysKey    string

	// walk is DeleteExpired's place in the subject indexes, kept between
	// calls; walkMu is held by the one call walking.
	walkMu sync.Mutex
	walk   indexWalk
}

var _ sessionissuer.Store = (*Store)(nil)

// New connects to the Redis server at url ("redis://[user:password@]host:port/db",
// "rediss://…" for TLS, "unix:///path?db=0"; the query options of go-redis'
// ParseURL apply), checks that it answers within ctx and that it holds no
// newer key layout, and returns a Store that owns the connection pool
// ([Store.Close] closes it). Context deadlines are applied to the sockets.
//
// New does not write: call [Store.Migrate] once before use (it is
// idempotent, so calling it at every start is fine).
func New(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: never echo it.
		return nil, errors.New("redisstore: cannot parse the Redis URL")
	}
	o.ContextTimeoutEnabled = true
	client := redis.NewClient(o)
	s, err := newStore(client, true, true, opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	if err := s.checkLayout(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return s, nil
}

// NewFromClient returns a Store over a client the caller configured (a
// *redis.Client, a failover client for Sentinel, or a *redis.ClusterClient
// with a hash-tagged prefix, see [WithPrefix]). It does not contact the
// server, and [Store.Close] leaves the client open: it belongs to the
// caller. Set ContextTimeoutEnabled in the client's options to let context
// deadlines reach the sockets; without it the store still returns at the
// deadline, but the command runs on in the background until the client's
// own read timeout.
func NewFromClient(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: NewFromClient: nil client")
	}
	ctxTimeouts := false
	switch c := client.(type) {
	case *redis.Client:
		ctxTimeouts = c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		ctxTimeouts = c.Options().ContextTimeoutEnabled
	}
	return newStore(client, false, ctxTimeouts, opts)
}

func newStore(client redis.UniversalClient, own, ctxTimeouts bool, opts []Option) (*Store, error) {
	cfg := defaults()
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("redisstore: nil Option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	data := cfg.prefix + "v" + strconv.Itoa(LayoutVersion) + ":"
	return &Store{
		client:      client,
		ownClient:   own,
		ctxTimeouts: ctxTimeouts,
		cfg:         cfg,
		keepUS:      strconv.FormatInt(cfg.retention.Microseconds(), 10),
		layoutKey:   cfg.prefix + "layout",
		rowPrefix:   data + "s:",
		subjPrefix:  data + "u:",
		feedKey:     data + "revoked",
		channel:     data + "revoked",
		keysKey:     data + "keys",
	}, nil
}

// Close releases the connection pool when the Store made it ([New]); a
// client passed to [NewFromClient] stays open. Watches end with an error.
func (s *Store) Close() error {
	if !s.ownClient {
		return nil
	}
	if err := s.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("redisstore: close: %w", err)
	}
	return nil
}

// Migrate prepares the database for this package's key layout: it records
// [LayoutVersion] under the prefix's "layout" key when none is recorded
// (SET NX, so any number of instances may run it at once) and returns
// [ErrLayout] when a different version is recorded. Layout 1 needs nothing
// else; a later layout will move data here, in place and idempotently.
func (s *Store) Migrate(ctx context.Context) error {
	return s.run(ctx, "migrate", func(ctx context.Context) error {
		want := strconv.Itoa(LayoutVersion)
		set, err := s.client.SetNX(ctx, s.layoutKey, want, 0).Result()
		if err != nil {
			return err
		}
		if set {
			return nil
		}
		got, err := s.client.Get(ctx, s.layoutKey).Result()
		if err != nil {
			return err
		}
		if got != want {
			return ErrLayout
		}
		return nil
	})
}

// checkLayout reads the recorded layout (which shows the server answers)
// and refuses one it does not know.
func (s *Store) checkLayout(ctx context.Context) error {
	return s.run(ctx, "connect", func(ctx context.Context) error {
		got, err := s.client.Get(ctx, s.layoutKey).Result()
		if errors.Is(err, redis.Nil) {
			return nil
		}
		if err != nil {
			return err
		}
		if got != strconv.Itoa(LayoutVersion) {
			return ErrLayout
		}
		return nil
	})
}

// detached reports whether run calls fn on a goroutine of its own under
// ctx, which may still be sending after run returned: callers then pass fn
// copies of the caller's byte slices, which the caller may reuse at once.
func (s *Store) detached(ctx context.Context) bool {
	_, hasDeadline := ctx.Deadline()
	return ctx.Done() != nil && !(hasDeadline && s.ctxTimeouts)
}

// run calls fn under ctx and shapes its error. A ctx already done fails
// before anything is sent. When the client cannot put ctx's end on its
// sockets (a context without a deadline that can still be cancelled, or a
// client without ContextTimeoutEnabled), fn runs on its own goroutine and
// run returns as soon as ctx is done: the command may still reach the
// server, which is why an error here means "unknown", never "not done".
func (s *Store) run(ctx context.Context, op string, fn func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if !s.detached(ctx) {
		return s.shape(ctx, op, fn(ctx))
	}
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return s.shape(ctx, op, err)
	case <-ctx.Done():
		return fmt.Errorf("redisstore: %s: %w", op, ctx.Err())
	}
}

// shape wraps err with the operation's name and, when ctx ended, with
// ctx.Err(): a socket timeout at the context's deadline is reported as
// context.DeadlineExceeded even if the context's timer has not fired yet.
func (s *Store) shape(ctx context.Context, op string, err error) error {
	if err == nil || errors.Is(err, sessionissuer.ErrNotFound) {
		return err
	}
	if errors.Is(err, ErrLayout) || errors.Is(err, errExists) || errors.Is(err, errCorruptRow) {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	ctxErr := ctx.Err()
	if ctxErr == nil {
		var ne net.Error
		if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) && (errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)) {
			ctxErr = context.DeadlineExceeded
		}
	}
	if ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("redisstore: %s: %w: %w", op, ctxErr, err)
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// eval runs a script: EVALSHA, and EVAL when the server does not have the
// script cached (after a restart or SCRIPT FLUSH), which caches it again.
// With [WithWaitReplicas], the script and a WAIT go in one pipeline, on one
// connection, as WAIT counts that connection's writes; a reply of fewer
// replicas than required turns into an error (the write itself happened).
func (s *Store) eval(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	if s.cfg.waitReplicas == 0 {
		return sc.Run(ctx, s.client, keys, args...)
	}
	cmd, wait := s.evalWait(ctx, sc, keys, args)
	if isNoScript(cmd.Err()) {
		// Nothing ran: cache the script and send the pair again.
		if err := sc.Load(ctx, s.client).Err(); err != nil {
			cmd.SetErr(err)
			return cmd
		}
		cmd, wait = s.evalWait(ctx, sc, keys, args)
	}
	if cmd.Err() != nil {
		return cmd
	}
	if err := wait.Err(); err != nil {
		cmd.SetErr(err)
	} else if n, err := wait.Int64(); err != nil || n < int64(s.cfg.waitReplicas) {
		cmd.SetErr(fmt.Errorf("%w: %d of %d replicas within %v", errNotReplicated, n, s.cfg.waitReplicas, s.cfg.waitTimeout))
	}
	return cmd
}

func (s *Store) evalWait(ctx context.Context, sc *redis.Script, keys []string, args []any) (cmd, wait *redis.Cmd) {
	_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		cmd = p.EvalSha(ctx, sc.Hash(), keys, args...)
		wait = p.Do(ctx, "wait", s.cfg.waitReplicas, s.cfg.waitTimeout.Milliseconds())
		return nil
	})
	return cmd, wait
}

func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT"))
}

func (s *Store) rowKey(handle string) string   { return s.rowPrefix + handle }
func (s *Store) subjKey(subject string) string { return s.subjPrefix + subject }

// Create writes rec as a new row with Version 1 and adds it to its
// subject's index, in one script. The row expires [WithRetention] after
// rec.ExpiresAt.
func (s *Store) Create(ctx context.Context, rec *sessionissuer.Record) error {
	if rec == nil || rec.Handle == "" || rec.Subject == "" {
		return errors.New("redisstore: create: record without handle or subject")
	}
	r := *rec // the caller may reuse rec once Create returns
	if s.detached(ctx) {
		r.Payload, r.Refresh = bytes.Clone(r.Payload), bytes.Clone(r.Refresh)
	}
	return s.run(ctx, "create", func(ctx context.Context) error {
		n, err := s.eval(ctx, createScript,
			[]string{s.rowKey(r.Handle), s.subjKey(r.Subject)},
			r.Subject, encodeTime(r.CreatedAt), encodeTime(r.RefreshedAt),
			encodeTime(r.ExpiresAt), encodeTime(r.RevokedAt),
			r.UserAgent, r.IP, r.Label, r.Payload, r.Refresh,
			r.Handle, s.keepUS,
		).Int()
		if err != nil {
			return err
		}
		if n == 0 {
			return errExists
		}
		return nil
	})
}

// Get reads the row of handle (one HMGET), revoked or expired rows
// included, or returns [sessionissuer.ErrNotFound].
func (s *Store) Get(ctx context.Context, handle string) (*sessionissuer.Record, error) {
	var rec *sessionissuer.Record
	err := s.run(ctx, "get", func(ctx context.Context) error {
		v, err := s.client.HMGet(ctx, s.rowKey(handle), rowFields...).Result()
		if err != nil {
			return err
		}
		r, ok, err := decodeRow(handle, v)
		if err != nil {
			return err
		}
		if !ok {
			return sessionissuer.ErrNotFound
		}
		rec = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// SwapRefresh is one EVALSHA of a script that compares the version,
// writes the update, moves the row's TTL to [WithRetention] after
// u.ExpiresAt and returns the row as stored, swapped or not.
func (s *Store) SwapRefresh(ctx context.Context, handle string, version uint64, u sessionissuer.RefreshUpdate) (*sessionissuer.Record, bool, error) {
	var (
		rec     *sessionissuer.Record
		swapped bool
	)
	if s.detached(ctx) {
		u.Refresh = bytes.Clone(u.Refresh)
	}
	err := s.run(ctx, "swap refresh", func(ctx context.Context) error {
		v, err := s.eval(ctx, swapScript, []string{s.rowKey(handle)},
			strconv.FormatUint(version, 10), strconv.FormatUint(version+1, 10),
			u.Refresh, encodeTime(u.RefreshedAt), encodeTime(u.ExpiresAt), s.keepUS,
		).Slice()
		if err != nil {
			return err
		}
		if len(v) == 0 {
			return errCorruptRow
		}
		flag, _ := v[0].(int64)
		if len(v) == 1 {
			return nil // no row
		}
		r, ok, err := decodeRow(handle, v[1:])
		if err != nil {
			return err
		}
		if ok {
			rec, swapped = r, flag == 1
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return rec, swapped, nil
}

// SetPayload replaces the payload of a live row, in one script.
func (s *Store) SetPayload(ctx context.Context, handle string, payload []byte) (bool, error) {
	var ok bool
	if s.detached(ctx) {
		payload = bytes.Clone(payload)
	}
	err := s.run(ctx, "set payload", func(ctx context.Context) error {
		n, err := s.eval(ctx, setPayloadScript, []string{s.rowKey(handle)}, payload).Int()
		ok = n == 1
		return err
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}

// Revoke marks the row revoked, shortens its TTL to [WithRetention] after
// at, records the revocation in the feed and publishes it, in one script.
func (s *Store) Revoke(ctx context.Context, handle string, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, errors.New("redisstore: revoke: zero time")
	}
	var revoked []string
	err := s.run(ctx, "revoke", func(ctx context.Context) error {
		var err error
		revoked, err = s.revoke(ctx, "", at, false, []string{handle})
		return err
	})
	if err != nil {
		return false, err
	}
	return len(revoked) == 1, nil
}

// RevokeSubject reads the subject's index, then revokes its rows in
// scripts of up to 256 rows each (every row is revoked atomically, and a
// batch at once). Revoked rows leave the index.
func (s *Store) RevokeSubject(ctx context.Context, subject, keep string, at time.Time) ([]string, error) {
	if at.IsZero() {
		return nil, errors.New("redisstore: revoke subject: zero time")
	}
	var out []string
	err := s.run(ctx, "revoke subject", func(ctx context.Context) error {
		handles, err := s.client.ZRange(ctx, s.subjKey(subject), 0, -1).Result()
		if err != nil {
			return err
		}
		handles = slices.DeleteFunc(handles, func(h string) bool { return h == keep })
		for len(handles) > 0 {
			n := min(len(handles), revokeBatch)
			got, err := s.revoke(ctx, subject, at, true, handles[:n])
			out = append(out, got...)
			if err != nil {
				return err
			}
			handles = handles[n:]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// revoke runs revokeScript over handles.
func (s *Store) revoke(ctx context.Context, subject string, at time.Time, checkExpiry bool, handles []string) ([]string, error) {
	keys := make([]string, 0, 2+len(handles))
	keys = append(keys, s.feedKey)
	if subject != "" {
		keys = append(keys, s.subjKey(subject))
	} else {
		keys = append(keys, s.feedKey)
	}
	args := make([]any, 0, 5+len(handles))
	check := "0"
	if checkExpiry {
		check = "1"
	}
	args = append(args, encodeTime(at), s.keepUS, s.channel, subject, check)
	for _, h := range handles {
		keys = append(keys, s.rowKey(h))
		args = append(args, h)
	}
	return s.eval(ctx, revokeScript, keys, args...).StringSlice()
}

// List reads the subject's index newest first, then its rows in one
// pipeline, and keeps those neither revoked nor expired at now. Index
// entries whose row Redis has expired are removed on the way (best
// effort: a failure there does not fail List).
func (s *Store) List(ctx context.Context, subject string, now time.Time) ([]sessionissuer.Record, error) {
	var out []sessionissuer.Record
	err := s.run(ctx, "list", func(ctx context.Context) error {
		handles, err := s.client.ZRevRange(ctx, s.subjKey(subject), 0, -1).Result()
		if err != nil || len(handles) == 0 {
			return err
		}
		cmds := make([]*redis.SliceCmd, len(handles))
		_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, h := range handles {
				cmds[i] = p.HMGet(ctx, s.rowKey(h), rowFields...)
			}
			return nil
		})
		if err != nil {
			return err
		}
		var gone []any
		for i, cmd := range cmds {
			rec, ok, err := decodeRow(handles[i], cmd.Val())
			if err != nil {
				return err
			}
			if !ok {
				gone = append(gone, handles[i])
				continue
			}
			if rec.Subject != subject || !rec.RevokedAt.IsZero() || !now.Before(rec.ExpiresAt) {
				continue
			}
			out = append(out, *rec)
		}
		if len(gone) > 0 {
			_ = s.client.ZRem(ctx, s.subjKey(subject), gone...).Err()
		}
		slices.SortStableFunc(out, func(a, b sessionissuer.Record) int { return b.CreatedAt.Compare(a.CreatedAt) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteExpired removes no row and returns 0: Redis expires rows by their
// TTL (the row's ExpiresAt, or its RevokedAt, plus [WithRetention]), so
// nothing is left for before. What it does is housekeeping of the subject
// indexes, which have no TTL: it walks them with SCAN, resuming where the
// previous call stopped (in the middle of a large index too), and removes
// the entries of rows Redis expired, inspecting at most limit entries per
// call and going round the keyspace at most once.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	err := s.run(ctx, "delete expired", func(ctx context.Context) error {
		// One walk at a time; a call that finds one running (perhaps
		// still waiting on a server that stopped answering) leaves the
		// work to it rather than wait past its own deadline.
		if !s.walkMu.TryLock() {
			return nil
		}
		defer s.walkMu.Unlock()
		return s.pruneIndexes(ctx, limit)
	})
	return 0, err
}

// indexWalk is a position in the walk over the subject indexes: the SCAN
// cursor, the keys of the last SCAN page not finished yet, and how far
// into the first of them the previous call got.
type indexWalk struct {
	cursor  uint64
	pending []string
	offset  int64
}

func (s *Store) pruneIndexes(ctx context.Context, budget int) error {
	w := &s.walk
	pattern := globEscape(s.subjPrefix) + "*"
	scanned, pages := false, 0
	for budget > 0 {
		if len(w.pending) == 0 {
			if scanned && w.cursor == 0 || pages == maxScanPages {
				return nil // once round the keyspace is enough for one call
			}
			keys, next, err := s.client.Scan(ctx, w.cursor, pattern, scanCount).Result()
			if err != nil {
				return err
			}
			w.cursor, w.pending, w.offset, scanned = next, keys, 0, true
			pages++
			continue
		}
		read, kept, err := s.pruneIndex(ctx, w.pending[0], w.offset, budget)
		if err != nil {
			return err
		}
		if read < budget {
			w.pending, w.offset = w.pending[1:], 0 // this index is done
		} else {
			w.offset += kept // resume after the entries kept
		}
		budget -= max(read, 1)
	}
	return nil
}

// pruneIndex inspects up to n entries of one subject index from offset
// on, removes those whose row is gone, and returns how many it read and
// how many it kept. An entry without a row never gets one back: Create
// writes the row and its entry together, and handles are random.
func (s *Store) pruneIndex(ctx context.Context, key string, offset int64, n int) (read int, kept int64, err error) {
	handles, err := s.client.ZRange(ctx, key, offset, offset+int64(n)-1).Result()
	if err != nil || len(handles) == 0 {
		return 0, 0, err
	}
	cmds := make([]*redis.IntCmd, len(handles))
	if _, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range handles {
			cmds[i] = p.Exists(ctx, s.rowKey(h))
		}
		return nil
	}); err != nil {
		return 0, 0, err
	}
	var gone []any
	for i, c := range cmds {
		if c.Val() == 0 {
			gone = append(gone, handles[i])
		}
	}
	if len(gone) > 0 {
		if err := s.client.ZRem(ctx, key, gone...).Err(); err != nil {
			return 0, 0, err
		}
	}
	return len(handles), int64(len(handles) - len(gone)), nil
}

// globEscape quotes the characters SCAN's MATCH treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LoadKeys reads the key ring (one HMGET). The ring has no TTL.
func (s *Store) LoadKeys(ctx context.Context) ([]byte, uint64, error) {
	var (
		blob    []byte
		version uint64
	)
	err := s.run(ctx, "load keys", func(ctx context.Context) error {
		v, err := s.client.HMGet(ctx, s.keysKey, "v", "blob").Result()
		if err != nil {
			return err
		}
		if len(v) != 2 {
			return errCorruptRow
		}
		if v[0] == nil {
			return nil
		}
		vs, _ := v[0].(string)
		bs, _ := v[1].(string)
		if version, err = strconv.ParseUint(vs, 10, 64); err != nil {
			return errCorruptRow
		}
		blob = []byte(bs)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return blob, version, nil
}

// SwapKeys stores blob as version+1 if the ring's version is version, in
// one script.
func (s *Store) SwapKeys(ctx context.Context, version uint64, blob []byte) (bool, error) {
	var ok bool
	if s.detached(ctx) {
		blob = bytes.Clone(blob)
	}
	err := s.run(ctx, "swap keys", func(ctx context.Context) error {
		n, err := s.eval(ctx, swapKeysScript, []string{s.keysKey},
			strconv.FormatUint(version, 10), strconv.FormatUint(version+1, 10), blob).Int()
		ok = n == 1
		return err
	})
	if err != nil {
		return false, err
	}
	return ok, nil
}
