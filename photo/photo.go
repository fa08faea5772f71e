// Package photo is Hearth's photo pipeline: the upload gate that refuses oversized, lying
// and hostile files before anything is decoded (Check), the server's small upright
// metadata-free variants (Processor.MakeVariants), and the app's preparation before upload
// (Prepare). Everything it writes is a baseline JPEG with no EXIF, XMP, IPTC, ICC profile or
// comment, so no GPS position or camera serial ever leaves through it; a photo whose profile
// says Display P3 (or Adobe RGB) is converted to sRGB first, as its profile does not go along.
package photo

import (
	"errors"
	"fmt"
)

// Limits of the upload gate (PROTOCOL.md: PUT /v1/blobs).
const (
	MaxUploadBytes = 16 << 20
	MaxSide        = 20000
	MaxPixels      = 50_000_000
)

// Target sizes, in pixels on the long side.
const (
	ThumbSide   = 400
	DisplaySide = 2048
	PrepareSide = 2560
	// JPEGQuality is used for every JPEG this package writes.
	JPEGQuality = 85
)

// Sentinels for the kinds of bad input. The facility server maps them to
// 413 too_large, 415 unsupported_media and 400 invalid.
var (
	ErrTooLarge    = errors.New("photo too large")
	ErrUnsupported = errors.New("photo format not supported")
	ErrInvalid     = errors.New("photo invalid")
)

// Error is what the package returns (as *Error) for bad input: Kind is one of the sentinels
// above and Message a sentence a person understands, meant to be shown as it is.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap makes errors.Is(err, ErrTooLarge) and friends work.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Info describes a photo that passed the gate.
type Info struct {
	Format string // "jpeg", "png" or "heic", decided by the content
	// Width and Height are as the photo is displayed: the EXIF orientation is applied.
	Width, Height int
	// Orientation is the EXIF orientation tag (1..8; 1 when absent or unreadable), from a
	// JPEG's APP1 segment or a PNG's eXIf chunk.
	Orientation int
}

// Variants are the two JPEGs the server serves for an uploaded photo, upright and without
// metadata. The sizes are the JPEGs' own (displayed) sizes.
type Variants struct {
	Thumb, Display     []byte
	ThumbW, ThumbH     int
	DisplayW, DisplayH int
}
