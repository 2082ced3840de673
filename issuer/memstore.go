package sessionissuer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a [Store] in process memory, for tests and single-process
// demos: nothing survives a restart, and it is not shared between processes.
// Every operation is atomic under one mutex; byte slices are copied in and
// out. Revocations are kept (for [Store.WatchRevocations] catch-up) until
// DeleteExpired removes them with the rows. The zero value is not usable;
// call [NewMemoryStore].
type MemoryStore struct {
	mu        sync.Mutex
	rows      map[string]*Record
	bySubject map[string]map[string]struct{}
	revs      []Revocation // in order of recording
	watchers  map[*memWatcher]struct{}
	keys      []byte
	keysVer   uint64
}

type memWatcher struct {
	queue  []Revocation
	signal chan struct{}
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		rows:      make(map[string]*Record),
		bySubject: make(map[string]map[string]struct{}),
		watchers:  make(map[*memWatcher]struct{}),
	}
}

var _ Store = (*MemoryStore)(nil)

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sessionissuer: memory store: %w", err)
	}
	return nil
}

func copyRecord(r *Record) *Record {
	c := *r
	c.Payload = bytes.Clone(r.Payload)
	c.Refresh = bytes.Clone(r.Refresh)
	return &c
}

// Create implements [Store].
func (s *MemoryStore) Create(ctx context.Context, rec *Record) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	if rec == nil || rec.Handle == "" {
		return errors.New("sessionissuer: memory store: record without handle")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.rows[rec.Handle]; dup {
		return errors.New("sessionissuer: memory store: duplicate handle")
	}
	c := copyRecord(rec)
	c.Version = 1
	c.CreatedAt, c.RefreshedAt, c.ExpiresAt, c.RevokedAt = utc(c.CreatedAt), utc(c.RefreshedAt), utc(c.ExpiresAt), utc(c.RevokedAt)
	s.rows[c.Handle] = c
	set := s.bySubject[c.Subject]
	if set == nil {
		set = make(map[string]struct{})
		s.bySubject[c.Subject] = set
	}
	set[c.Handle] = struct{}{}
	return nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// Get implements [Store].
func (s *MemoryStore) Get(ctx context.Context, handle string) (*Record, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[handle]
	if !ok {
		return nil, ErrNotFound
	}
	return copyRecord(r), nil
}

// SwapRefresh implements [Store].
func (s *MemoryStore) SwapRefresh(ctx context.Context, handle string, version uint64, u RefreshUpdate) (*Record, bool, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[handle]
	if !ok {
		return nil, false, nil
	}
	if !r.RevokedAt.IsZero() || r.Version != version {
		return copyRecord(r), false, nil
	}
	r.Refresh = bytes.Clone(u.Refresh)
	r.RefreshedAt, r.ExpiresAt = utc(u.RefreshedAt), utc(u.ExpiresAt)
	r.Version = version + 1
	return copyRecord(r), true, nil
}

// SetPayload implements [Store].
func (s *MemoryStore) SetPayload(ctx context.Context, handle string, payload []byte) (bool, error) {
	return s.withLiveRow(ctx, handle, func(r *Record) { r.Payload = bytes.Clone(payload) })
}

// Revoke implements [Store].
func (s *MemoryStore) Revoke(ctx context.Context, handle string, at time.Time) (bool, error) {
	return s.withLiveRow(ctx, handle, func(r *Record) { s.revokeLocked(r, at) })
}

// withLiveRow runs fn under the lock on the row of handle if it exists and
// is not revoked, and reports whether it did.
func (s *MemoryStore) withLiveRow(ctx context.Context, handle string, fn func(*Record)) (bool, error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[handle]
	if !ok || !r.RevokedAt.IsZero() {
		return false, nil
	}
	fn(r)
	return true, nil
}

func (s *MemoryStore) revokeLocked(r *Record, at time.Time) {
	r.RevokedAt = utc(at)
	rv := Revocation{Handle: r.Handle, At: r.RevokedAt}
	s.revs = append(s.revs, rv)
	for w := range s.watchers {
		w.queue = append(w.queue, rv)
		select {
		case w.signal <- struct{}{}:
		default:
		}
	}
}

// RevokeSubject implements [Store].
func (s *MemoryStore) RevokeSubject(ctx context.Context, subject, keep string, at time.Time) ([]string, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for h := range s.bySubject[subject] {
		r := s.rows[h]
		if h == keep || !r.RevokedAt.IsZero() || !at.Before(r.ExpiresAt) {
			continue
		}
		s.revokeLocked(r, at)
		out = append(out, h)
	}
	slices.Sort(out)
	return out, nil
}

// List implements [Store].
func (s *MemoryStore) List(ctx context.Context, subject string, now time.Time) ([]Record, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for h := range s.bySubject[subject] {
		r := s.rows[h]
		if !r.RevokedAt.IsZero() || !now.Before(r.ExpiresAt) {
			continue
		}
		out = append(out, *copyRecord(r))
	}
	slices.SortFunc(out, func(a, b Record) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(a.Handle, b.Handle)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DeleteExpired implements [Store]. Revocations recorded at or before
// before are forgotten too.
func (s *MemoryStore) DeleteExpired(ctx context.Context, before time.Time, limit int) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for h, r := range s.rows {
		if n >= limit {
			break
		}
		if !r.ExpiresAt.After(before) || (!r.RevokedAt.IsZero() && !r.RevokedAt.After(before)) {
			delete(s.rows, h)
			if set := s.bySubject[r.Subject]; set != nil {
				delete(set, h)
				if len(set) == 0 {
					delete(s.bySubject, r.Subject)
				}
			}
			n++
		}
	}
	s.revs = slices.DeleteFunc(s.revs, func(rv Revocation) bool { return !rv.At.After(before) })
	return n, nil
}

// WatchRevocations implements [Store].
func (s *MemoryStore) WatchRevocations(ctx context.Context, since time.Time, fn func(Revocation)) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	w := &memWatcher{signal: make(chan struct{}, 1)}
	s.mu.Lock()
	// Registered under the same lock as the backlog is copied: nothing
	// recorded in between is missed.
	for _, rv := range s.revs {
		if !rv.At.Before(since) {
			w.queue = append(w.queue, rv)
		}
	}
	s.watchers[w] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.watchers, w)
		s.mu.Unlock()
	}()
	for {
		s.mu.Lock()
		q := w.queue
		w.queue = nil
		s.mu.Unlock()
		for _, rv := range q {
			if !rv.At.Before(since) {
				fn(rv)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sessionissuer: memory store: %w", ctx.Err())
		case <-w.signal:
		}
	}
}

// LoadKeys implements [Store].
func (s *MemoryStore) LoadKeys(ctx context.Context) ([]byte, uint64, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.keys), s.keysVer, nil
}

// SwapKeys implements [Store].
func (s *MemoryStore) SwapKeys(ctx context.Context, version uint64, blob []byte) (bool, error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keysVer != version {
		return false, nil
	}
	s.keys = bytes.Clone(blob)
	s.keysVer = version + 1
	return true, nil
}
