package photo

import "context"

// clientDecoder lets the app decode one photo at a time across the whole process, so that
// sharing a few 48-megapixel photos at once cannot take the app's memory.
var clientDecoder = NewProcessor(1)

// Prepare makes the JPEG the app uploads for a photo the person picked: checked like an
// upload, turned upright, at most 2560 px on the long side, quality 85, no metadata. It
// returns the JPEG and its Info (Orientation 1, as it is now upright).
func Prepare(ctx context.Context, data []byte) ([]byte, Info, error) {
	info, err := Check(data)
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
