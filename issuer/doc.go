// Package sessionissuer starts, refreshes, rotates and revokes sessions: the
// issuing side of sessionguard (docs/lifecycle.md), embedded in the
// application, with a pluggable [Store].
package sessionissuer
