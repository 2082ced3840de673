package pgstore

import (
	"errors"
	"fmt"
	"time"
)

// Option configures a [Store] built by [New] or [NewFromPool].
type Option func(*options) error

type options struct {
	schema    string
	watchPing time.Duration
}

func defaultOptions() options {
	return options{schema: "public", watchPing: 15 * time.Second}
}

// maxSchemaLen keeps the revocation channel name ("sessionguard_rev_" plus
// the schema) within PostgreSQL's 63-byte identifier limit, so two schemas
// never share a channel through truncation.
const maxSchemaLen = 63 - len(channelPrefix)

// WithSchema puts the store's tables in the PostgreSQL schema name
// (default "public"). [Store.Migrate] creates the schema when it is missing.
// Several stores, each with its own schema, can share one database without
// seeing each other's sessions or revocations (the tests use one random
// schema each). name is 1 to 46 characters of ASCII letters, digits and
// underscores, not starting with a digit; it is used exactly as given (case
// included), quoted in every statement.
func WithSchema(name string) Option {
	return func(o *options) error {
		if !validSchema(name) {
			return fmt.Errorf("pgstore: schema name %q: want 1 to %d ASCII letters, digits or underscores, not starting with a digit", name, maxSchemaLen)
		}
		o.schema = name
		return nil
	}
}

// WithWatchPing sets how long a [Store.WatchRevocations] connection may sit
// idle before it checks that the server still answers (default 15 s). A
// check that fails ends the watch with an error, so a connection lost
// without notice (a network partition) is noticed within about d plus 5 s
// instead of after the operating system's keepalive timeout.
func WithWatchPing(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return errors.New("pgstore: WithWatchPing needs a positive duration")
		}
		o.watchPing = d
		return nil
	}
}

func validSchema(name string) bool {
	if name == "" || len(name) > maxSchemaLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
