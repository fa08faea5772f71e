package photo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"
)

var (
	jpegMagic = []byte{0xff, 0xd8, 0xff}
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
)

// Check is the upload gate. It looks only at the size, the magic bytes and the image header
// (never at a file name or a Content-Type), so it costs microseconds and allocates almost
// nothing whatever the header claims; nothing is decoded until it has said yes.
func Check(data []byte) (Info, error) {
	if len(data) > MaxUploadBytes {
		return Info{}, errorf(ErrTooLarge, "This photo file is too big: at most 16 MB.")
	}
	return check(data)
}

// check is the gate without the file size limit, which differs between an
// upload and a photo picked on this device.
func check(data []byte) (Info, error) {
	if len(data) == 0 {
		return Info{}, errorf(ErrInvalid, "This file is empty: there is no photo in it.")
	}
	format, err := sniff(data)
	if err != nil {
		return Info{}, err
	}
	var cfg image.Config
	var hi heifInfo
	switch format {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case "png":
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case "heic":
		if hi, err = heifHeader(data); err != nil {
			return Info{}, err
		}
		cfg.Width, cfg.Height = hi.width, hi.height
	}
	if err != nil {
		return Info{}, decodeError(err)
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 {
		return Info{}, errorf(ErrInvalid, "This photo is damaged: it says it has no pixels.")
	}
	if w > MaxSide || h > MaxSide {
		return Info{}, errorf(ErrTooLarge,
			"This photo is too big: each side may be at most 20,000 pixels, and this one is %s × %s.", thousands(w), thousands(h))
	}
	if int64(w)*int64(h) > MaxPixels {
		return Info{}, errorf(ErrTooLarge,
			"This photo is too big: at most 50 megapixels, and this one is %s megapixels.", megapixels(int64(w)*int64(h)))
	}
	info := Info{Format: format, Width: w, Height: h, Orientation: 1}
	switch format {
	case "jpeg":
		info.Orientation = jpegOrientation(data)
	case "png":
		info.Orientation = pngOrientation(data)
	case "heic":
		if !hi.transformed { // see heif.go: irot and imir say it, and libheif applies them
			info.Orientation = hi.orientation
		}
	}
	if info.Orientation >= 5 {
		info.Width, info.Height = h, w
	}
	return info, nil
}

// sniff decides the format from the first bytes, and names the common formats we refuse so
// that the message can say what the file is.
func sniff(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, jpegMagic):
		return "jpeg", nil
	case bytes.HasPrefix(data, pngMagic):
		return "png", nil
	case len(data) >= 12 && string(data[4:8]) == "ftyp" && heifBrand(data):
		return "heic", nil
	case len(data) < len(pngMagic) && (bytes.HasPrefix(jpegMagic, data) || bytes.HasPrefix(pngMagic, data)):
		return "", errorf(ErrInvalid, "This photo is cut off: the file ends before the picture begins.")
	}
	name := ""
	switch {
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		name = "a GIF image"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		name = "a WebP image"
	case len(data) >= 12 && string(data[4:8]) == "ftyp": // ISO media: HEIC, AVIF, MP4, MOV
		switch string(data[8:12]) {
		case "avif", "avis":
			name = "an AVIF image"
		default:
			name = "a video"
		}
	case bytes.HasPrefix(data, []byte("BM")):
		name = "a BMP image"
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		name = "a TIFF image"
	case bytes.HasPrefix(data, []byte("%PDF")):
		name = "a PDF document"
	}
	if name != "" {
		return "", errorf(ErrUnsupported, "This file is %s. Hearth can show JPEG, PNG and HEIC photos: please send it as one of those.", name)
	}
	return "", errorf(ErrUnsupported, "This file is not a photo Hearth can show. Please send a JPEG, PNG or HEIC photo.")
}

// heifBrand reports whether an ISO media file (ftyp first) is of the HEIF family: its major
// brand or one of the compatible brands in the ftyp box names HEIF images. Which codec its
// primary picture uses is heifHeader's to say.
func heifBrand(data []byte) bool {
	n := uint64(binary.BigEndian.Uint32(data))
	if n < 16 || n > uint64(len(data)) || n > 4096 {
		n = uint64(min(len(data), 64))
	}
	for i := uint64(8); i+4 <= n; i += 4 {
		if i == 12 {
			continue // the minor version
		}
		switch string(data[i : i+4]) {
		case "heic", "heix", "heim", "heis", "mif1", "mif2", "msf1", "hevc", "hevx":
			return true
		}
	}
	return false
}

// decodeError turns an error of image/jpeg or image/png (header or pixels) into an *Error.
func decodeError(err error) error {
	var ju jpeg.UnsupportedError
	var pu png.UnsupportedError
	switch {
	case errors.As(err, &ju), errors.As(err, &pu):
		return errorf(ErrUnsupported, "This photo is saved in a way Hearth cannot read. Please send it as an ordinary JPEG or PNG.")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		// what image/jpeg says when the file ends inside or before the pixel data
		errors.Is(err, jpeg.FormatError("short Huffman data")), errors.Is(err, jpeg.FormatError("missing SOS marker")):
		return errorf(ErrInvalid, "This photo is incomplete: the file was cut off. Please try sending it again.")
	default:
		return errorf(ErrInvalid, "This photo is damaged and cannot be shown. Please try sending it again.")
	}
}

// thousands formats n with commas, as the messages are read by people: 50,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// megapixels formats a pixel count over the limit, rounded up to a tenth so that it never
// reads as the limit itself: 50,000,001 is "50.1", 56,000,000 is "56".
func megapixels(n int64) string {
	tenths := (n + 99_999) / 100_000
	if tenths%10 == 0 {
		return strconv.FormatInt(tenths/10, 10)
	}
	return strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10)
}
