package protocol

import (
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"
)

// Limits from PROTOCOL.md, counted in characters (Unicode code points).
const (
	MaxTextChars         = 4000
	MaxCaptionChars      = 500
	MaxNameChars         = 100
	MaxPhotosPerPost     = 20
	MaxBodyBytes         = 64 << 10 // JSON request bodies
	MaxBlobBytes         = 16 << 20 // photo uploads
	MaxSeenIDs           = 1000
	MaxReactionKindChars = 32
	DefaultSyncLimit     = 200
	MaxSyncLimit         = 1000
	MaxWaitSeconds       = 60
)

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidSHA256 reports whether s is a SHA-256 written as 64 lowercase hex characters.
func ValidSHA256(s string) bool { return sha256Hex.MatchString(s) }

// CheckText returns a person-readable error when s is not text that can be shown as it is
// meant: not valid UTF-8, longer than max characters, holding a control character other than a
// newline (NUL, ANSI escapes...), a bidi override or isolate that can make text read
// differently from what it says (U+202A-U+202E, U+2066-U+2069), or made only of invisible
// characters (zero-width spaces). It is for captions, messages and announcements, which may
// span lines. what names the field for the message ("The message", "The caption").
func CheckText(what, s string, max int) error { return checkText(what, s, max, true) }

// CheckName is CheckText for text on one line: names, rooms, relations, device names. A
// newline (or a Unicode line or paragraph separator) is refused too.
func CheckName(what, s string, max int) error { return checkText(what, s, max, false) }

func checkText(what, s string, max int, lines bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s contains characters that are not valid text.", what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%s is too long: %d characters, at most %d.", what, n, max)
	}
	visible, hidden := false, false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\u2028' || r == '\u2029':
			if !lines {
				return fmt.Errorf("%s must be on one line.", what)
			}
		case unicode.IsControl(r):
			return fmt.Errorf("%s contains an invisible control character (U+%04X). Please type it again without it.", what, r)
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return fmt.Errorf("%s contains a character that changes the direction of the text (U+%04X), which can disguise what it says. Please type it again without it.", what, r)
		case invisible(r):
			hidden = hidden || !unicode.IsSpace(r)
		default:
			visible = true
		}
	}
	if hidden && !visible {
		return fmt.Errorf("%s has no visible characters.", what)
	}
	return nil
}

// invisible reports whether r shows nothing on its own: spaces, format characters (zero-width
// space and joiners, word joiner, byte order mark, tags), variation selectors and the Hangul
// fillers that render blank.
func invisible(r rune) bool {
	switch {
	case unicode.IsSpace(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Variation_Selector, r):
		return true
	case r == '\u115f', r == '\u1160', r == '\u3164', r == '\uffa0', r == '\u2800':
		return true
	}
	return false
}
