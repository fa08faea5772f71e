package facility

import (
	"errors"
	"fmt"
	"net/http"

	"hearth/protocol"
)

// Error is a refusal with an HTTP status, a stable code and a message a person understands.
// Stores return it for rule violations (forbidden, not found, conflicts); handlers answer it as is.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf makes an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Common refusals.
var (
	ErrUnauthorized = &Error{http.StatusUnauthorized, protocol.CodeUnauthorized,
		"This device is not paired with the care home any more. Ask staff to pair it again."}
	ErrInvalidCode = &Error{http.StatusForbidden, protocol.CodeInvalidCode,
		"This code is not right. Check it and try again."}
	ErrCodeExpired = &Error{http.StatusForbidden, protocol.CodeCodeExpired,
		"This code has expired. Ask the care home for a new one."}
	ErrCodeUsed = &Error{http.StatusForbidden, protocol.CodeCodeUsed, "This code has already been used."}
	// ErrCodeCancelled: the right code of an invitation that staff or its maker cancelled, that
	// died with the device or membership that made it, or that the rules no longer allow. Old
	// apps know code_expired: the remedy is the same (a new code).
	ErrCodeCancelled = &Error{http.StatusForbidden, protocol.CodeCodeExpired,
		"This code no longer works: it was cancelled. Ask the care home for a new one."}
	ErrCodeBurned = &Error{http.StatusForbidden, protocol.CodeCodeBurned,
		"This code was typed wrong too many times and no longer works. Ask the care home for a new one."}
	ErrCodeNeedsLink = &Error{http.StatusConflict, protocol.CodeCodeNeedsLink,
		"This invitation works only with its link. Paste the link, or ask the care home for a new code."}
	ErrStaffOnly = &Error{http.StatusForbidden, protocol.CodeForbidden, "Only staff can do this."}
)

// Forbidden is a 403 with message.
func Forbidden(message string) *Error {
	return &Error{http.StatusForbidden, protocol.CodeForbidden, message}
}

// NotFound is a 404 with message.
func NotFound(message string) *Error {
	return &Error{http.StatusNotFound, protocol.CodeNotFound, message}
}

// Invalid is a 400 with message.
func Invalid(message string) *Error {
	return &Error{http.StatusBadRequest, protocol.CodeInvalid, message}
}

// IDConflict is the 409 for an id that exists with another body.
func IDConflict(id string) *Error {
	return &Error{http.StatusConflict, protocol.CodeIDConflict,
		fmt.Sprintf("Something else already has the id %s. Make a new id for a new item.", id)}
}

// MissingBlob is the 409 for a photo that was not uploaded first.
func MissingBlob(sha string) *Error {
	return &Error{http.StatusConflict, protocol.CodeMissingBlob,
		fmt.Sprintf("The photo %s has not been uploaded yet. Upload it first, then send this again.", sha)}
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
