package store

import (
	"bytes"
	"errors"
	"fmt"

	"hearth/photo"
)

// Why a photo was refused before upload (InputError.Reason).
const (
	PhotoHEIC        = "heic"        // an iPhone's HEIC photo
	PhotoTooLarge    = "too_large"   // the file or the picture is over the limits
	PhotoDamaged     = "damaged"     // cut off or corrupt
	PhotoUnsupported = "unsupported" // another format (WebP, GIF, a video, a document)
)

const msgHEIC = "This is an HEIC photo from an iPhone. Hearth can't open it yet: on the iPhone, choose " +
	"Settings › Camera › Formats › Most Compatible, or send it as a JPEG."

// isHEIC reports whether data is an ISO media file of the HEIF family holding HEVC pictures
// (what iPhones save). AVIF and videos are left to the photo package's own words.
func isHEIC(data []byte) bool {
	if len(data) < 12 || !bytes.Equal(data[4:8], []byte("ftyp")) {
		return false
	}
	switch string(data[8:12]) {
	case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs":
		return true
	case "mif1", "msf1":
		// A generic HEIF brand: look at the compatible brands for an HEVC one.
		end := min(len(data), 64)
		return bytes.Contains(data[8:end], []byte("heic")) || bytes.Contains(data[8:end], []byte("heix"))
	}
	return false
}

// photoRefusal words a refusal of the photo package for the person sharing: why, and what to do.
func photoRefusal(pe *photo.Error, size int) *InputError {
	switch {
	case errors.Is(pe, photo.ErrTooLarge) && size > photo.MaxPickedBytes:
		return &InputError{Reason: PhotoTooLarge, Message: fmt.Sprintf("This photo file is too big: %d MB, and Hearth takes "+
			"at most %d MB. Save a smaller copy (phones and computers offer sizes like \"Large\" or \"Medium\") and choose that.",
			(size+(1<<20)-1)>>20, photo.MaxPickedBytes>>20)}
	case errors.Is(pe, photo.ErrTooLarge):
		return &InputError{Reason: PhotoTooLarge, Message: pe.Message + " Save a smaller copy (for example \"Large\" or \"Medium\") and choose that."}
	case errors.Is(pe, photo.ErrInvalid):
		return &InputError{Reason: PhotoDamaged, Message: pe.Message + " If it opens on your computer or phone, save it again as a JPEG and choose the copy."}
	}
	return &InputError{Reason: PhotoUnsupported, Message: pe.Message}
}
