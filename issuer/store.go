package sessionissuer

import (
	"context"
	"errors"
	"time"
)

// Store is where an [Issuer] keeps long-term sessions and signing keys. It is
// the smallest set of atomic operations the lifecycle contract needs
// (docs/lifecycle.md §7); everything else (rotation, grace, theft detection,
// key schedules) is computed by the issuer and written back through a
// compare-and-swap, so a store holds no session logic of its own.
//
// Implementations ship in this module ([NewMemoryStore]) and as separate
// modules under store/ (sqlitestore, pgstore, redisstore); every one passes
// the suite in the storetest package.
//
// Contract for every method:
//   - ctx is honoured: a call returns promptly once ctx is done, with an
//     error wrapping ctx.Err(). It never reports success it did not reach.
//   - An error other than [ErrNotFound] means "the store could not answer";
//     the issuer surfaces it as [ErrStoreUnavailable] and never treats it as
//     a logout. Implementations must not put secrets in error texts.
//   - A success is durable once returned, to the store's stated durability
//     (see each store's documentation): an answered refresh survives a crash.
//   - Times are stored with at least millisecond precision and returned in
//     UTC. Byte slices passed in may be retained only as copies; byte slices
//     returned belong to the caller.
//
// The store never sees a refresh token: [Record.Refresh] is the issuer's
// opaque encoding of the refresh state, holding hashes and deadlines only
// (docs/issuer.md). Key blobs hold private keys, encrypted with AES-GCM when
// the issuer has a master key.
type Store interface {
	// Create inserts a new session row. Atomic: the row is written whole or
	// not at all. A row with the same Handle already present is an error
	// (not ErrNotFound); with 128 random bits that is never expected.
	// rec.Version is ignored on input and stored as 1.
	Create(ctx context.Context, rec *Record) error

	// Get returns the row of handle, revoked or expired rows included (the
	// issuer judges them), or ErrNotFound. The returned Version is the one a
	// later SwapRefresh compares against.
	Get(ctx context.Context, handle string) (*Record, error)

	// SwapRefresh is the compare-and-swap at the heart of refresh rotation.
	// If the row exists, is not revoked, and its Version equals version, it
	// replaces Refresh, RefreshedAt and ExpiresAt with those of u, sets
	// Version to version+1 and returns the row as now stored and ok=true.
	// Otherwise it changes nothing and returns ok=false with the row as
	// currently stored (nil when there is no row; that is not ErrNotFound),
	// so the caller can recompute and retry without another Get. The
	// returned row carries the current Payload (which SetPayload may have
	// changed since the caller last read it).
	// Atomic against every other call on the same row: two swaps from the
	// same version never both succeed. One round trip where the store allows
	// (PostgreSQL: one conditional UPDATE ... RETURNING, then a SELECT only
	// on a mismatch; Redis: one script; SQLite: one immediate transaction).
	SwapRefresh(ctx context.Context, handle string, version uint64, u RefreshUpdate) (rec *Record, ok bool, err error)

	// SetPayload replaces the payload of a live (not revoked) row and
	// reports whether such a row existed. It does not change Version, so it
	// never makes a concurrent refresh fail.
	SetPayload(ctx context.Context, handle string, payload []byte) (bool, error)

	// Revoke sets RevokedAt of a row that is not yet revoked and reports
	// whether it did; the revocation is then delivered to every
	// WatchRevocations subscriber, in this process and others.
	Revoke(ctx context.Context, handle string, at time.Time) (bool, error)

	// RevokeSubject revokes every row of subject that is not yet revoked and
	// not expired at at, except the row whose handle is keep (may be ""),
	// and returns the handles it revoked. Each is delivered to subscribers
	// as Revoke's are. Atomic per row; rows created concurrently may or may
	// not be included.
	RevokeSubject(ctx context.Context, subject, keep string, at time.Time) ([]string, error)

	// List returns the rows of subject that are neither revoked nor expired
	// at now, newest CreatedAt first.
	List(ctx context.Context, subject string, now time.Time) ([]Record, error)

	// DeleteExpired removes at most limit rows whose ExpiresAt is at or
	// before before, or whose RevokedAt is set and at or before before, and
	// returns how many it removed. The issuer calls it in the background with
	// before = now minus one access lifetime (revoked rows are kept that long
	// for the revocation feed). Stores with native expiry (Redis TTLs) may
	// return 0 and rely on it.
	DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error)

	// WatchRevocations delivers, through fn, every revocation with At at or
	// after since (those already recorded first, then new ones as they
	// happen, from any process sharing the store), until ctx is done or the
	// store fails; it then returns the reason (ctx.Err() when ctx ended).
	// fn is called from one goroutine at a time and must not block. The same
	// revocation may be delivered more than once. The issuer calls it again
	// after a failure, with since set a little before the last At it saw.
	// Cross-process delivery must take at most 2 s.
	WatchRevocations(ctx context.Context, since time.Time, fn func(Revocation)) error

	// LoadKeys returns the key ring blob and its version; version 0 and a nil
	// blob when none was ever stored.
	LoadKeys(ctx context.Context) (blob []byte, version uint64, err error)

	// SwapKeys stores blob as version+1 if the stored version equals
	// version (0: none stored yet) and reports whether it did. This is how
	// exactly one instance generates or rotates the signing keys.
	SwapKeys(ctx context.Context, version uint64, blob []byte) (bool, error)
}

// ErrNotFound is returned by [Store.Get] for a handle with no row.
var ErrNotFound = errors.New("sessionissuer: session not found")

// Record is one long-term session row (docs/lifecycle.md §1).
type Record struct {
	// Handle is the public session id: the access token's "sid", ≥ 128
	// random bits, URL-safe base64. The primary key.
	Handle string
	// Subject is the user id, non-empty. Indexed for List and RevokeSubject.
	Subject string

	CreatedAt   time.Time
	RefreshedAt time.Time // last successful refresh; CreatedAt until then
	ExpiresAt   time.Time // sliding: moved by each refresh, capped by the absolute maximum
	RevokedAt   time.Time // zero while live

	// Device, as seen when the session was created.
	UserAgent string // at most 256 bytes
	IP        string
	Label     string

	// Payload is the application's claims, a compact JSON object (≤ 2 KiB),
	// copied into every access token of the session.
	Payload []byte

	// Refresh is the issuer's opaque refresh state: token hashes, the
	// per-session MAC key and deadlines, never a refresh token.
	Refresh []byte
	// Version counts successful SwapRefresh calls (1 after Create).
	Version uint64
}

// RefreshUpdate is what [Store.SwapRefresh] writes.
type RefreshUpdate struct {
	Refresh     []byte
	RefreshedAt time.Time
	ExpiresAt   time.Time
}

// Revocation is one entry of the revocation feed.
type Revocation struct {
	Handle string
	At     time.Time
}
