package sessionguard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionguard/sessionguard/core/internal/jose"
)

// keySet is one immutable generation of keys.
type keySet struct {
	byKid map[string][]*jose.Key
	all   []*jose.Key
}

func newKeySet(keys []*jose.Key) *keySet {
	ks := &keySet{byKid: make(map[string][]*jose.Key, len(keys)), all: keys}
	for _, k := range keys {
		if k.ID != "" {
			ks.byKid[k.ID] = append(ks.byKid[k.ID], k)
		}
	}
	return ks
}

// find returns the key for a token, or the reason there is none.
func (ks *keySet) find(kid string, hasKid bool, alg string) (*jose.Key, *Error) {
	if hasKid {
		list, ok := ks.byKid[kid]
		if !ok {
			return nil, errUnknownKey
		}
		for _, k := range list {
			if k.Supports(alg) {
				return k, nil
			}
		}
		return nil, errAlgMismatch
	}
	var found *jose.Key
	for _, k := range ks.all {
		if k.Supports(alg) {
			if found != nil {
				return nil, errSignature // ambiguous: several keys could serve
			}
			found = k
		}
	}
	if found == nil {
		return nil, errSignature
	}
	return found, nil
}

// keyStore is a verifier's live copy of one KeySource: the current key set,
// swapped whole, so that a lookup never takes a lock or waits.
type keyStore struct {
	set    atomic.Pointer[keySet]
	loaded chan struct{} // closed by the first replace
	once   sync.Once
	remote *refresher // nil for sources that never change
	names  []string   // the issuers bound to this store, for diagnostics
}

func (s *keyStore) current() *keySet { return s.set.Load() }

// replace installs keys, keeping the identity of keys that did not change so
// that caches keyed on them survive a refresh.
func (s *keyStore) replace(keys []*jose.Key) {
	if old := s.set.Load(); old != nil {
		for i, k := range keys {
			for _, o := range old.all {
				if o.Equal(k) {
					keys[i] = o
					break
				}
			}
		}
	}
	s.set.Store(newKeySet(keys))
	s.once.Do(func() { close(s.loaded) })
}

// refreshForUnknownKid runs (or joins) the rate-limited refresh of a source
// that changes; see [refresher.refreshForUnknownKid]. It reports whether a
// refresh completed, and is false for sources that never change.
func (s *keyStore) refreshForUnknownKid(ctx, bg context.Context) bool {
	return s.remote != nil && s.remote.refreshForUnknownKid(ctx, bg)
}

// newStore builds the live store of src. Remote and loader sources start
// empty; their refresher is started by the Verifier.
func newStore(src *KeySource, log *slog.Logger, now func() time.Time) (*keyStore, error) {
	if src.err != nil {
		return nil, src.err
	}
	st := &keyStore{loaded: make(chan struct{})}
	switch src.kind {
	case sourceRemote:
		if err := src.remote.validate(); err != nil {
			return nil, err
		}
		u, err := url.Parse(src.url)
		if err != nil || u.Host == "" {
			return nil, errors.New("JWKS URL is not an absolute URL")
		}
		if err := allowedURL(u, src.remote.insecure); err != nil {
			return nil, err
		}
		st.remote = newRefresher(st, newJWKSLoader(src.url, src.remote), src.remote, log, now)
	case sourceLoader:
		if src.loader == nil {
			return nil, errors.New("FromLoader: nil KeyLoader")
		}
		if src.remote.httpOnly != "" {
			return nil, fmt.Errorf("FromLoader: %s applies only to RemoteJWKS", src.remote.httpOnly)
		}
		if err := src.remote.validate(); err != nil {
			return nil, err
		}
		st.remote = newRefresher(st, userLoader{l: src.loader, maxKeys: src.remote.maxKeys}, src.remote, log, now)
	case sourceStatic:
		keys, stats, err := jose.ParseSet(src.doc, 0)
		if err != nil {
			return nil, err
		}
		if stats.Invalid > 0 {
			return nil, fmt.Errorf("static JWKS has %d key(s) with invalid material (e.g. an EC point off its curve)", stats.Invalid)
		}
		if len(keys) == 0 {
			return nil, errors.New("static JWKS has no usable signature key")
		}
		st.replace(keys)
	case sourceKeys:
		if len(src.keys) == 0 {
			return nil, errors.New("PublicKeys needs at least one key")
		}
		keys := make([]*jose.Key, 0, len(src.keys))
		for _, pk := range src.keys {
			k, err := jose.FromPublic(pk.ID, pk.Algorithm, pk.Key)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
		st.replace(keys)
	case sourceSecret:
		k, err := jose.FromSecret(src.secret.kid, src.secret.alg, src.secret.b)
		if err != nil {
			return nil, err
		}
		st.replace([]*jose.Key{k})
	default:
		return nil, errors.New("zero KeySource: build one with RemoteJWKS, FromLoader, StaticJWKS, PublicKeys or HMACSecret")
	}
	return st, nil
}

// notLoadedError is what [Verifier.Ready] returns when its context ends
// first: it names each store not yet loaded and its last failure, and
// matches the context's error, [ErrKeySetNotLoaded] and the failures.
type notLoadedError struct {
	text   string
	causes []error
}

func (e *notLoadedError) Error() string   { return e.text }
func (e *notLoadedError) Unwrap() []error { return e.causes }

func notLoaded(stores []*keyStore, ctxErr error) error {
	var parts []string
	causes := []error{ctxErr, ErrKeySetNotLoaded}
	for _, st := range stores {
		select {
		case <-st.loaded:
			continue
		default:
		}
		var b strings.Builder
		b.WriteString("key set")
		switch len(st.names) {
		case 0:
		case 1:
			fmt.Fprintf(&b, " of issuer %q", st.names[0])
		default:
			b.WriteString(" of issuers ")
			for i, n := range st.names {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q", n)
			}
		}
		b.WriteString(" not loaded: ")
		if err := st.lastFailure(); err != nil {
			b.WriteString(err.Error())
			causes = append(causes, err)
		} else {
			b.WriteString("the first load has not finished")
		}
		parts = append(parts, b.String())
	}
	if len(parts) == 0 { // every store loaded in the meantime: ready after all
		return nil
	}
	return &notLoadedError{text: "sessionguard: " + strings.Join(parts, "; "), causes: causes}
}

func (s *keyStore) lastFailure() error {
	if s.remote == nil {
		return nil
	}
	return s.remote.lastFailure()
}
