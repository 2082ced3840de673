package sessionguard

import "strings"

// bearerCredentials extracts the credentials of an "Authorization: Bearer"
// field value: the scheme matched case-insensitively, then one or more spaces.
func bearerCredentials(v string) (string, bool) {
	const scheme = "bearer"
	if len(v) < len(scheme)+2 || !strings.EqualFold(v[:len(scheme)], scheme) || v[len(scheme)] != ' ' {
		return "", false
	}
	i := len(scheme) + 1
	for i < len(v) && v[i] == ' ' {
		i++
	}
	return v[i:], i < len(v)
}

// cookieValues appends the values of the configured cookie names, in request
// order, at most maxCookieOccurrence of them, and reports whether the refresh
// marker was sent: one pass over the Cookie header. Values are raw: no
// URL-unescaping; one pair of surrounding double quotes is removed.
func (v *Verifier) cookieValues(r Request, dst []string) ([]string, bool) {
	marker := false
	for _, line := range r.Values("Cookie") {
		for len(line) > 0 {
			var pair string
			pair, line, _ = cutByte(line, ';')
			name, val, ok := cutByte(trimOWS(pair), '=')
			if v.marker != "" && name == v.marker {
				marker = true
			}
			if !ok || len(dst) == maxCookieOccurrence || !v.isCookieName(name) {
				continue
			}
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			dst = append(dst, val)
		}
	}
	return dst, marker
}

func (v *Verifier) isCookieName(name string) bool {
	for _, n := range v.cookies {
		if n == name {
			return true
		}
	}
	return false
}

func cutByte(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// firstValue returns the first field value of name, or "".
func firstValue(r Request, name string) string {
	if v := r.Values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}
