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
	if loneSurrogate(b) { // the same for an escaped half of a UTF-16 pair
		return Invalid("The request has text with a broken character (half of a UTF-16 pair, like \\ud800). Send valid text.")
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

// loneSurrogate reports whether the JSON b escapes half of a UTF-16 surrogate pair without the
// other half (\ud800 alone), which encoding/json turns into U+FFFD without a word. Outside a
// string a backslash is a syntax error anyway, so every backslash starts an escape.
func loneSurrogate(b []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range b[i+2 : i+6] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		switch {
		case !ok:
			i++ // \" \\ \n ...: skip the escaped character
		case r >= 0xd800 && r < 0xdc00:
			lo, ok := hex4(i + 6)
			if !ok || lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 11
		case r >= 0xdc00 && r <= 0xdfff:
			return true
		default:
			i += 5
		}
	}
	return false
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
