package conformance

import sessionguard "github.com/sessionguard/sessionguard/core"

// outcomeCases: rows 2 to 7 of the outcome table (docs/semantics.md §4).
// Row 1 is covered by every success elsewhere, rows 8, 9 and 10 have their
// own files.
func outcomeCases(f *fixture, add adder) {
	timeSignatureAndClaimRows(f, add)
	validatorRows(f, add)
	refreshMarkerRows(f, add)
}

// timeSignatureAndClaimRows: rows 2 (not yet valid), 3 (signature, unknown
// kid) and 4 (a registered claim is wrong), required and optional alike.
func timeSignatureAndClaimRows(f *fixture, add adder) {
	t, v := f.tok, f.v
	for _, req := range []string{"required", "optional"} {
		p := "/any/" + req
		add(get("row2/not-yet-valid/"+req, p, bearer(t.notYet)), fail(v, eNotYet))
		add(get("row3/bad-signature/"+req, p, bearer(t.badSig)), fail(v, eInvalid))
		add(get("row3/unknown-kid/"+req, p, bearer(t.unknownKid)), fail(v, eInvalid))
		add(get("row3/bad-signature-cookie/"+req, p, cookie(ck(t.badSig))), fail(v, eInvalid))
		add(get("row4/no-subject/"+req, p, bearer(t.noSub)), fail(v, eRejected))
		add(get("row4/no-subject-cookie/"+req, p, cookie(ck(t.noSub))), fail(v, eRejected))
	}
}

// validatorRows: row 5, an application claim validator (the admin role)
// fails; expiry is still judged first.
func validatorRows(f *fixture, add adder) {
	t, v := f.tok, f.v
	add(get("row5/admin-ok", "/admin", bearer(t.admin)), f.ok("root", "header"))
	add(get("row5/not-admin", "/admin", bearer(t.user)), fail(v, eClaims))
	add(get("row5/no-roles", "/admin", bearer(t.alice)), fail(v, &sessionguard.Error{Code: sessionguard.CodeInvalidClaims,
		Reason: sessionguard.ErrClaimValidation, TokenRejected: true, Claims: []sessionguard.ClaimFailure{{ID: "roles", Reason: "claim is missing"}}}))
	add(get("row5/admin-expired-is-refresh", "/admin", bearer(t.expired)), fail(v, eExpired))
	add(get("row5/admin-none", "/admin"), fail(v, eNoToken))
}

// refreshMarkerRows: rows 6 and 7, no token selected with and without the
// refresh marker; the marker only counts where cookies are read.
func refreshMarkerRows(f *fixture, add adder) {
	t, v := f.tok, f.v
	mk := cookie(MarkerName + "=1")
	add(get("marker/any/optional", "/any/optional", mk), fail(v, eMarker))
	add(get("marker/any/required", "/any/required", mk), fail(v, eMarker))
	add(get("marker/cookie/optional", "/cookie/optional", mk), fail(v, eMarker))
	add(get("marker/cookie/required", "/cookie/required", mk), fail(v, eMarker))
	add(get("marker/header/optional", "/header/optional", mk), f.ok("", ""))
	add(get("marker/header/required", "/header/required", mk), fail(v, eNoToken))
	add(get("marker/with-valid-cookie", "/any/optional", cookie(MarkerName+"=1", ck(t.bob))), f.ok("bob", "cookie"))
	add(get("marker/with-foreign-header", "/any/optional", Header{"Authorization", "Basic eDp5"}, mk), fail(v, eMarker))
}
