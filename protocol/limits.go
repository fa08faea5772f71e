package protocol

import (
	"fmt"
	"regexp"
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

// CheckText returns a person-readable error when s is not valid UTF-8 or longer than max
// characters. what names the field for the message ("The message", "The caption").
func CheckText(what, s string, max int) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s contains characters that are not valid text.", what)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("%s is too long: %d characters, at most %d.", what, n, max)
	}
	return nil
}
