package redisstore

import (
	"errors"
	"strconv"
	"time"

	sessionissuer "github.com/sessionguard/sessionguard/issuer"
)

// errCorruptRow is returned when a row read back does not decode: a key of
// this store's layout written by something else.
var errCorruptRow = errors.New("redisstore: stored row does not decode")

// encodeTime writes t as decimal Unix microseconds, the zero time as "".
func encodeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

func decodeTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, errCorruptRow
	}
	return time.UnixMicro(us).UTC(), nil
}

// decodeRow builds a Record from the values of rowFields, in that order.
// ok is false when the row does not exist (its subject is missing).
func decodeRow(handle string, v []any) (rec *sessionissuer.Record, ok bool, err error) {
	if len(v) != len(rowFields) {
		return nil, false, errCorruptRow
	}
	if v[0] == nil {
		return nil, false, nil
	}
	var s [11]string
	for i, x := range v {
		str, isString := x.(string)
		if !isString {
			return nil, false, errCorruptRow
		}
		s[i] = str
	}
	rec = &sessionissuer.Record{
		Handle:    handle,
		Subject:   s[0],
		UserAgent: s[5],
		IP:        s[6],
		Label:     s[7],
		Payload:   bytesOf(s[8]),
		Refresh:   bytesOf(s[9]),
	}
	for i, dst := range []*time.Time{&rec.CreatedAt, &rec.RefreshedAt, &rec.ExpiresAt, &rec.RevokedAt} {
		if *dst, err = decodeTime(s[1+i]); err != nil {
			return nil, false, err
		}
	}
	if rec.Version, err = strconv.ParseUint(s[10], 10, 64); err != nil {
		return nil, false, errCorruptRow
	}
	return rec, true, nil
}

// bytesOf copies s, keeping nil for an empty value, as it was written.
func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}
