package facility

import (
	"fmt"
	"io/fs"

	"hearth/protocol"
)

// BlobName is the one place a stored photo variant gets its name, "ab/abcdef…-thumb.jpg" (always
// with forward slashes): made from the checked hash and variant only, so nothing a client sends can
// name anything else. Every BlobStore keeps this layout under its own root, which is what lets a
// home's photos be copied from one store to another name for name. A name that is not a lower-case
// SHA-256 and a known variant is refused with an error that wraps fs.ErrInvalid.
func BlobName(sha, variant string) (string, error) {
	if !protocol.ValidSHA256(sha) || (variant != VariantThumb && variant != VariantDisplay) {
		return "", fmt.Errorf("photo name %q/%q: %w", sha, variant, fs.ErrInvalid)
	}
	return sha[:2] + "/" + sha + "-" + variant + ".jpg", nil
}
