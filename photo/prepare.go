package photo

import "context"

// clientDecoder lets the app decode one photo at a time across the whole process, so that
// sharing a few 48-megapixel photos at once cannot take the app's memory.
var clientDecoder = NewProcessor(1)

// MaxPickedBytes is the largest photo file the app takes from the person. It is
// bigger than an upload may be: a camera's file is made smaller before it goes.
const MaxPickedBytes = 64 << 20

// Prepare makes the JPEG the app uploads for a photo the person picked: checked like an
// upload but for the file size (at most MaxPickedBytes), turned upright, at most 2560 px on the long side, quality 85, no metadata. It
// returns the JPEG and its Info (Orientation 1, as it is now upright).
func Prepare(ctx context.Context, data []byte) ([]byte, Info, error) {
	if len(data) > MaxPickedBytes {
		return nil, Info{}, errorf(ErrTooLarge, "This photo file is too big: at most 64 MB. Please share a smaller copy.")
	}
	info, err := check(data)
	if err != nil {
		return nil, Info{}, err
	}
	m, err := clientDecoder.reduce(ctx, data, info, PrepareSide)
	if err != nil {
		return nil, Info{}, err
	}
	m = orient(m, info.Orientation)
	out, err := encodeJPEG(m)
	if err != nil {
		return nil, Info{}, err
	}
	return out, Info{Format: "jpeg", Width: m.Rect.Dx(), Height: m.Rect.Dy(), Orientation: 1}, nil
}
