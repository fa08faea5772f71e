package store

import (
	"errors"
	"fmt"

	"hearth/photo"
)

// Why a photo was refused before upload (InputError.Reason).
const (
	PhotoTooLarge    = "too_large"   // the file or the picture is over the limits
	PhotoDamaged     = "damaged"     // cut off or corrupt
	PhotoUnsupported = "unsupported" // another format (WebP, GIF, a video, a document)
)

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
