package protocol

import "fmt"

// Stable error codes. Clients switch on these, never on messages.
const (
	CodeUnauthorized     = "unauthorized"      // 401: no token, unknown or revoked device
	CodeForbidden        = "forbidden"         // 403: authenticated, but not allowed
	CodeNotFound         = "not_found"         // 404
	CodeInvalid          = "invalid"           // 400: malformed or out-of-limit input
	CodeTooLarge         = "too_large"         // 413
	CodeUnsupportedMedia = "unsupported_media" // 415
	CodeHashMismatch     = "hash_mismatch"     // 400
	CodeIDConflict       = "id_conflict"       // 409: the id exists with another body
	CodeMissingBlob      = "missing_blob"      // 409: a photo was not uploaded first
	CodeRateLimited      = "rate_limited"      // 429
	CodeCursorReset      = "cursor_reset"      // 410: drop the mirror, sync from the start
	CodeInvalidCode      = "invalid_code"      // 403: pairing code unknown or its secret is wrong
	CodeCodeExpired      = "code_expired"      // 403: the right code, but its invitation has expired
	CodeCodeUsed         = "code_used"         // 403: the right code, but it paired a device already
	CodeCodeBurned       = "code_burned"       // 403: too many wrong tries against this invitation
	CodeCodeNeedsLink    = "code_needs_link"   // 409: no pairing proof for this invitation: use its link
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnavailable      = "unavailable" // 503: shutting down, or busy (Retry-After)
	CodeTooSlow          = "too_slow"    // 408: an upload arrived below the minimum rate
	CodeInternal         = "internal"    // 500
)

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the code and the person-readable message of an error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// APIError is an error answered by a server, as a client sees it.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}
