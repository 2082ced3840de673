package sessionissuer

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"slices"
)

// refreshState is the decoded [Record.Refresh]: the session's refresh-token
// lineage (docs/lifecycle.md §3), hashes and deadlines only.
//
// Counters are issued in order (Create's token is 0). Since the current
// token was promoted (or created), every token issued is one of its
// children, so the children of one promotion are consecutive counters and
// the ones dropped beyond [MaxOutstandingChildren] are a prefix of them: one
// span per promotion. A tagged token whose counter is neither tracked nor in
// a dropped span was tracked once and forgotten after its deadline passed,
// so presenting it again is theft (row 3).
type refreshState struct {
	seed     [seedBytes]byte
	next     uint64       // counter of the next token
	cur      tokenEntry   // the current token
	children []tokenEntry // children of cur, oldest first, at most MaxOutstandingChildren; deadlines unset
	old      []tokenEntry // tokens not (or no longer) current nor children, deadline set, not yet passed
	dropped  []span       // counters refused without harm (row 4): dropped children, tokens forgotten early; sorted, disjoint
}

type tokenEntry struct {
	ctr      uint64
	hash     [sha256.Size]byte
	deadline int64 // unix milliseconds; 0: unset
}

type span struct{ lo, hi uint64 } // [lo, hi)

const (
	stateVersion = 1
	// maxOld bounds the tokens kept with a running deadline. Beyond it (a
	// client promoting several times within one grace period) the earliest
	// deadline is forgotten early and counted as dropped: presenting that
	// token is then refused (row 4), never taken for theft.
	maxOld = 64
	// maxDropped bounds the dropped spans. Beyond it the two oldest merge
	// into one span, so tokens between them (all long expired) count as
	// dropped, not stolen: the safe direction (the session is unharmed).
	maxDropped = 16
)

type verdict uint8

const (
	verdictInvalid verdict = iota // row 5: not issued, or unknown
	verdictForged                 // row 5: the tag is wrong (decidable on any copy of the row: the seed never changes)
	verdictDropped                // row 4
	verdictTheft                  // row 3
	verdictPromote                // row 1
	verdictAnswer                 // row 2
)

func (v verdict) success() bool { return v == verdictPromote || v == verdictAnswer }

// classify judges a presented token against the state at now (unix ms).
// which is the index in children (promote) or old (answer; -1: cur).
func (st *refreshState) classify(master []byte, t *refreshToken, now int64) (v verdict, which int) {
	tag := macTag(master, &st.seed, t.handle, t.counter, &t.secret)
	if !hmac.Equal(tag[:], t.tag[:]) {
		return verdictForged, 0
	}
	if t.counter >= st.next {
		return verdictInvalid, 0
	}
	hash := sha256.Sum256(t.secret[:])
	judge := func(e *tokenEntry, ok verdict, idx int) (verdict, int) {
		// Constant-time: the hash is the credential; the tag only proves
		// the token was issued.
		if subtle.ConstantTimeCompare(e.hash[:], hash[:]) != 1 {
			return verdictInvalid, 0
		}
		if e.deadline != 0 && now >= e.deadline {
			return verdictTheft, 0
		}
		return ok, idx
	}
	if t.counter == st.cur.ctr {
		return judge(&st.cur, verdictAnswer, -1)
	}
	for i := range st.children {
		if st.children[i].ctr == t.counter {
			return judge(&st.children[i], verdictPromote, i)
		}
	}
	for i := range st.old {
		if st.old[i].ctr == t.counter {
			return judge(&st.old[i], verdictAnswer, i)
		}
	}
	for _, s := range st.dropped {
		if t.counter >= s.lo && t.counter < s.hi {
			return verdictDropped, 0
		}
	}
	return verdictTheft, 0
}

// answer applies a successful verdict at now and adds the child answered
// (whose hash it records); the caller issues the token with counter ctr.
func (st *refreshState) answer(v verdict, which int, now, grace int64, child [sha256.Size]byte) (ctr uint64) {
	dl := now + grace
	setDeadline := func(e *tokenEntry) {
		if e.deadline == 0 {
			e.deadline = dl
		}
	}
	switch v {
	case verdictPromote:
		promoted := st.children[which]
		setDeadline(&promoted) // answered now: retriable within grace
		setDeadline(&st.cur)
		st.old = append(st.old, st.cur)
		for i := range st.children {
			if i != which {
				c := st.children[i]
				setDeadline(&c) // a sibling was promoted
				st.old = append(st.old, c)
			}
		}
		st.cur, st.children = promoted, nil
	case verdictAnswer:
		if which < 0 {
			setDeadline(&st.cur)
		} else {
			setDeadline(&st.old[which])
		}
	}
	st.old = slices.DeleteFunc(st.old, func(e tokenEntry) bool { return now >= e.deadline })
	for len(st.old) > maxOld {
		i := 0
		for j := range st.old {
			if st.old[j].deadline < st.old[i].deadline {
				i = j
			}
		}
		st.drop(st.old[i].ctr) // forgotten early: refused, never theft
		st.old = slices.Delete(st.old, i, i+1)
	}
	ctr = st.next
	st.next++
	st.children = append(st.children, tokenEntry{ctr: ctr, hash: child})
	if len(st.children) > MaxOutstandingChildren {
		st.drop(st.children[0].ctr)
		st.children = slices.Delete(st.children, 0, 1)
	}
	return ctr
}

// drop records counter c as dropped (row 4). Spans stay sorted and
// disjoint; beyond maxDropped the two lowest merge.
func (st *refreshState) drop(c uint64) {
	i, _ := slices.BinarySearchFunc(st.dropped, c, func(s span, c uint64) int {
		switch {
		case s.hi <= c:
			return -1
		case s.lo > c:
			return 1
		}
		return 0
	})
	if i < len(st.dropped) && st.dropped[i].lo <= c {
		return // already dropped
	}
	st.dropped = slices.Insert(st.dropped, i, span{c, c + 1})
	if i+1 < len(st.dropped) && st.dropped[i+1].lo == c+1 { // join the next
		st.dropped[i].hi = st.dropped[i+1].hi
		st.dropped = slices.Delete(st.dropped, i+1, i+2)
	}
	if i > 0 && st.dropped[i-1].hi == c { // join the previous
		st.dropped[i-1].hi = st.dropped[i].hi
		st.dropped = slices.Delete(st.dropped, i, i+1)
	}
	if len(st.dropped) > maxDropped {
		st.dropped[1].lo = st.dropped[0].lo
		st.dropped = slices.Delete(st.dropped, 0, 1)
	}
}

// encode writes the versioned binary form stored in [Record.Refresh].
func (st *refreshState) encode() []byte {
	n := 1 + seedBytes + 3*binary.MaxVarintLen64 + (1+len(st.children)+len(st.old))*(2*binary.MaxVarintLen64+sha256.Size) + len(st.dropped)*2*binary.MaxVarintLen64
	b := make([]byte, 0, n)
	b = append(b, stateVersion)
	b = append(b, st.seed[:]...)
	b = binary.AppendUvarint(b, st.next)
	b = appendEntry(b, &st.cur)
	b = binary.AppendUvarint(b, uint64(len(st.children)))
	for i := range st.children {
		b = appendEntry(b, &st.children[i])
	}
	b = binary.AppendUvarint(b, uint64(len(st.old)))
	for i := range st.old {
		b = appendEntry(b, &st.old[i])
	}
	b = binary.AppendUvarint(b, uint64(len(st.dropped)))
	for _, s := range st.dropped {
		b = binary.AppendUvarint(b, s.lo)
		b = binary.AppendUvarint(b, s.hi-s.lo)
	}
	return b
}

func appendEntry(b []byte, e *tokenEntry) []byte {
	b = binary.AppendUvarint(b, e.ctr)
	b = append(b, e.hash[:]...)
	return binary.AppendVarint(b, e.deadline)
}

var errBadState = errors.New("sessionissuer: malformed refresh state")

// decodeRefreshState parses [Record.Refresh] strictly: a row it cannot read
// honours no token (row 5) rather than guessing.
func decodeRefreshState(b []byte) (*refreshState, error) {
	d := stateDecoder{b: b}
	if d.byte() != stateVersion {
		return nil, errBadState
	}
	st := &refreshState{}
	d.bytes(st.seed[:])
	st.next = d.uvarint()
	d.entry(&st.cur)
	st.children = d.entries(MaxOutstandingChildren)
	st.old = d.entries(maxOld)
	if n := d.uvarint(); n <= maxDropped {
		for range n {
			lo := d.uvarint()
			st.dropped = append(st.dropped, span{lo, lo + d.uvarint()})
		}
	} else {
		d.bad = true
	}
	if d.bad || len(d.b) != 0 {
		return nil, errBadState
	}
	return st, nil
}

type stateDecoder struct {
	b   []byte
	bad bool
}

func (d *stateDecoder) byte() byte {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *stateDecoder) bytes(dst []byte) {
	if len(d.b) < len(dst) {
		d.bad = true
		return
	}
	copy(dst, d.b)
	d.b = d.b[len(dst):]
}

func (d *stateDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDecoder) entry(e *tokenEntry) {
	e.ctr = d.uvarint()
	d.bytes(e.hash[:])
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return
	}
	d.b = d.b[n:]
	e.deadline = v
}

func (d *stateDecoder) entries(max int) []tokenEntry {
	n := d.uvarint()
	if n > uint64(max) {
		d.bad = true
		return nil
	}
	if n == 0 {
		return nil
	}
	out := make([]tokenEntry, n)
	for i := range out {
		d.entry(&out[i])
	}
	return out
}
