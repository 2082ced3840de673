package sessionguard

// ClaimValidator is an application-level check of a verified session. A
// failure is answered with [CodeInvalidClaims] (403) and names the
// validator's ID in the response. Build one with [Includes], [IncludesAny]
// or [ClaimFunc]; the zero value is rejected by [WithClaims].
type ClaimValidator struct {
	id    string
	check func(*Session) (reason string, ok bool)
}

// ID is the name the validator reports on failure.
func (c ClaimValidator) ID() string { return c.id }

// Includes requires claim (an array of strings, or a single string) to
// contain every one of values: Includes("roles", "admin").
func Includes(claim string, values ...string) ClaimValidator {
	return includes(claim, values, true)
}

// IncludesAny requires claim to contain at least one of values.
func IncludesAny(claim string, values ...string) ClaimValidator {
	return includes(claim, values, false)
}

func includes(claim string, values []string, all bool) ClaimValidator {
	if claim == "" || len(values) == 0 {
		return ClaimValidator{}
	}
	values = append([]string(nil), values...)
	return ClaimValidator{id: claim, check: func(s *Session) (string, bool) {
		raw, ok := s.claim(claim)
		if !ok {
			return "claim is missing", false
		}
		have, ok := jsonStrings(raw)
		if !ok {
			return "claim is not a string or an array of strings", false
		}
		matched := 0
		for _, want := range values {
			for _, h := range have {
				if h == want {
					matched++
					break
				}
			}
		}
		if (all && matched == len(values)) || (!all && matched > 0) {
			return "", true
		}
		return "required value is missing", false
	}}
}

// ClaimFunc is a custom validator: ok reports success; on failure reason (a
// fixed text of yours, shown to the client) is returned with id.
func ClaimFunc(id, reason string, ok func(*Session) bool) ClaimValidator {
	if id == "" || ok == nil {
		return ClaimValidator{}
	}
	return ClaimValidator{id: id, check: func(s *Session) (string, bool) {
		if ok(s) {
			return "", true
		}
		return reason, false
	}}
}
