package facility

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"hearth/protocol"
)

// decodeJSON reads one JSON object of at most 64 KiB into v, refusing unknown fields and
// trailing data, and explains what is wrong in words.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, protocol.MaxBodyBytes)
	return decodeStrict(r.Body, v)
}

// decodeStrict is decodeJSON without the HTTP parts (fuzzed on its own).
func decodeStrict(body io.Reader, v any) error {
	b, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return Invalid("The request was cut off. Send it again.")
	}
	if !utf8.Valid(b) { // encoding/json would quietly replace the bad bytes
		return Invalid("The request is not valid UTF-8 text.")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("The request has something after its JSON object. Send exactly one object.")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return Errorf(http.StatusRequestEntityTooLarge, protocol.CodeTooLarge,
			"The request is too large: at most %d KiB.", protocol.MaxBodyBytes>>10)
	case errors.Is(err, io.EOF):
		return Invalid("The request is empty. Send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("The request's JSON ends too early.")
	case errors.As(err, &syn):
		return Invalid(fmt.Sprintf("The request is not valid JSON (at byte %d).", syn.Offset))
	case errors.As(err, &typ):
		if typ.Field != "" {
			return Invalid(fmt.Sprintf("The field %q must be %s.", typ.Field, kindName(typ.Type.Kind().String())))
		}
		return Invalid("The request must be a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return Invalid(fmt.Sprintf("The request has a field this server does not know: %s.",
			strings.TrimPrefix(err.Error(), "json: unknown field ")))
	default:
		return Invalid("The request is not valid JSON.")
	}
}

func kindName(k string) string {
	switch k {
	case "string":
		return "text"
	case "slice":
		return "a list"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	default:
		return "a number"
	}
}
