package photo

import (
	"bytes"
	"encoding/binary"
	"image"

	"github.com/gen2brain/heic"
)

// HEIC (HEIF with HEVC pictures) is what iPhones save. Its pixels are decoded by libheif and
// libde265 compiled to WebAssembly (github.com/gen2brain/heic: no cgo), which applies the
// file's own transformations (irot, imir, clap), so the picture comes out as the file says it
// is shown. Everything the gate needs (size, turn, EXIF orientation, colour profile) is read
// here from the box structure in Go, without decoding and without starting the decoder.
//
// Orientation: the HEIF standard says to turn a picture with its irot and imir properties; an
// iPhone writes them and also an EXIF orientation that says the same thing, which must then not
// be applied a second time. Older writers (libheif's heif-enc before 1.16, for one) copy a
// camera JPEG's EXIF orientation and write no irot: there the EXIF orientation is all that
// says how to show the photo, so it is applied, as for a JPEG.

// heifInfo is what the box structure says about the primary picture.
type heifInfo struct {
	width, height int  // as libheif decodes it: cropped (clap) and turned (irot)
	transformed   bool // irot or imir present: EXIF orientation is informational only
	orientation   int  // EXIF orientation (1..8), 1 when absent
	icc           []byte
}

// heifBox is one ISO base media file format box: its type and body.
type heifBox struct {
	typ  string
	body []byte
}

// heifBoxes splits data into boxes. Sizes are checked against what is there; a box that
// claims more than is left, or more than 4096 boxes, ends the list with ok false.
func heifBoxes(data []byte) (boxes []heifBox, ok bool) {
	for len(data) > 0 {
		if len(data) < 8 || len(boxes) >= 4096 { // a photo has a few hundred at most
			return boxes, false
		}
		size := uint64(binary.BigEndian.Uint32(data))
		typ := string(data[4:8])
		head := uint64(8)
		switch size {
		case 0: // to the end
			size = uint64(len(data))
		case 1:
			if len(data) < 16 {
				return boxes, false
			}
			size, head = binary.BigEndian.Uint64(data[8:]), 16
		}
		if size < head || size > uint64(len(data)) {
			return boxes, false
		}
		boxes = append(boxes, heifBox{typ, data[head:size]})
		data = data[size:]
	}
	return boxes, true
}

// heifReader reads big-endian fields of a box body, remembering whether it ran out.
type heifReader struct {
	b   []byte
	bad bool
}

func (r *heifReader) n(size int) uint64 {
	if r.bad || size > len(r.b) {
		r.bad = true
		return 0
	}
	var v uint64
	for _, c := range r.b[:size] {
		v = v<<8 | uint64(c)
	}
	r.b = r.b[size:]
	return v
}

func (r *heifReader) str4() string {
	if r.bad || len(r.b) < 4 {
		r.bad = true
		return ""
	}
	s := string(r.b[:4])
	r.b = r.b[4:]
	return s
}

// heifExtent is where a piece of an item's data is.
type heifExtent struct{ offset, length uint64 }

type heifItem struct {
	typ     string
	method  uint64 // iloc construction method: 0 file offsets, 1 in idat
	extents []heifExtent
	props   []int // 1-based indexes into ipco, in order
}

// heifHeader reads the box structure of a HEIF file (the ftyp said so) and returns what its
// primary picture is, or an *Error saying in words why it cannot be shown.
func heifHeader(data []byte) (heifInfo, error) {
	damaged := errorf(ErrInvalid, "This photo is damaged: its HEIC file is not complete. Please try sending it again.")
	top, ok := heifBoxes(data)
	var meta []byte
	for _, b := range top {
		if b.typ == "meta" {
			meta = b.body
			break
		}
	}
	if meta == nil {
		if !ok {
			return heifInfo{}, damaged
		}
		return heifInfo{}, errorf(ErrUnsupported, "This file is a HEIF video or picture sequence, not a photo. Hearth can show JPEG, PNG and HEIC photos.")
	}
	if len(meta) < 4 {
		return heifInfo{}, damaged
	}
	boxes, ok := heifBoxes(meta[4:]) // meta is a full box: version and flags first
	if !ok {
		return heifInfo{}, damaged
	}
	// A hostile file could name millions of items in a few megabytes: the structure a photo
	// needs is small (an iPhone's has about 60 items), so more than these is refused.
	const maxItems, maxPerItem = 1024, 64
	items := map[uint64]*heifItem{}
	tooMany := false
	var spare heifItem // what the calls beyond the limit write to, unused
	item := func(id uint64) *heifItem {
		if items[id] == nil {
			if len(items) >= maxItems {
				tooMany = true
				spare = heifItem{}
				return &spare
			}
			items[id] = &heifItem{}
		}
		return items[id]
	}
	var primary uint64
	var havePrimary bool
	var props []heifBox
	var idat []byte
	cdsc := map[uint64]uint64{} // metadata item → the item it describes
	for _, b := range boxes {
		r := &heifReader{b: b.body}
		switch b.typ {
		case "pitm":
			v := r.n(1)
			r.n(3)
			primary, havePrimary = r.n(2+2*int(min(v, 1))), true
		case "iinf":
			v := r.n(1)
			r.n(3)
			r.n(2 + 2*int(min(v, 1)))
			entries, ok := heifBoxes(r.b)
			if !ok || r.bad {
				return heifInfo{}, damaged
			}
			for _, e := range entries {
				if e.typ != "infe" {
					continue
				}
				er := &heifReader{b: e.body}
				ev := er.n(1)
				er.n(3)
				if ev < 2 {
					continue // versions 0 and 1 carry no item type
				}
				id := er.n(2 + 2*int(min(ev-2, 1)))
				er.n(2) // protection index
				typ := er.str4()
				if er.bad {
					return heifInfo{}, damaged
				}
				item(id).typ = typ
			}
			continue
		case "iloc":
			v := r.n(1)
			r.n(3)
			sizes := r.n(2)
			offSize, lenSize, baseSize, idxSize := int(sizes>>12), int(sizes>>8&15), int(sizes>>4&15), int(sizes&15)
			if v == 0 {
				idxSize = 0
			}
			count := r.n(2 + 2*int(min(v/2, 1)))
			for k := uint64(0); k < count && !r.bad; k++ {
				it := item(r.n(2 + 2*int(min(v/2, 1))))
				if v >= 1 {
					it.method = r.n(2) & 15
				}
				r.n(2) // data reference index
				base := r.n(baseSize)
				extents := r.n(2)
				for e := uint64(0); e < extents && !r.bad; e++ {
					r.n(idxSize)
					off, n := r.n(offSize), r.n(lenSize)
					if len(it.extents) < maxPerItem {
						it.extents = append(it.extents, heifExtent{base + off, n})
					} else {
						tooMany = true
					}
				}
			}
		case "iprp":
			sub, ok := heifBoxes(b.body)
			if !ok {
				return heifInfo{}, damaged
			}
			for _, s := range sub {
				switch s.typ {
				case "ipco":
					if props, ok = heifBoxes(s.body); !ok {
						return heifInfo{}, damaged
					}
				case "ipma":
					pr := &heifReader{b: s.body}
					v := pr.n(1)
					flags := pr.n(3)
					count := pr.n(4)
					for k := uint64(0); k < count && !pr.bad; k++ {
						it := item(pr.n(2 + 2*int(min(v, 1))))
						n := pr.n(1)
						for a := uint64(0); a < n && !pr.bad; a++ {
							var idx int
							if flags&1 != 0 {
								idx = int(pr.n(2) & 0x7fff)
							} else {
								idx = int(pr.n(1) & 0x7f)
							}
							if len(it.props) < maxPerItem {
								it.props = append(it.props, idx)
							} else {
								tooMany = true
							}
						}
					}
					if pr.bad {
						return heifInfo{}, damaged
					}
				}
			}
		case "iref":
			v := r.n(1)
			r.n(3)
			refs, ok := heifBoxes(r.b)
			if !ok || r.bad {
				return heifInfo{}, damaged
			}
			idSize := 2 + 2*int(min(v, 1))
			for _, ref := range refs {
				rr := &heifReader{b: ref.body}
				from := rr.n(idSize)
				n := rr.n(2)
				for k := uint64(0); k < n && !rr.bad; k++ {
					to := rr.n(idSize)
					if ref.typ == "cdsc" && !rr.bad && len(cdsc) < maxItems {
						cdsc[from] = to
					}
				}
			}
			continue
		case "idat":
			idat = b.body
		}
		if r.bad {
			return heifInfo{}, damaged
		}
	}
	if tooMany {
		return heifInfo{}, errorf(ErrInvalid, "This photo is damaged: its HEIC file has far more parts than a photo has. Please send it as a JPEG.")
	}
	if !havePrimary || items[primary] == nil {
		return heifInfo{}, damaged
	}
	p := items[primary]
	switch p.typ {
	case "hvc1", "grid":
	case "av01":
		return heifInfo{}, errorf(ErrUnsupported, "This file is an AVIF image. Hearth can show JPEG, PNG and HEIC photos: please send it as one of those.")
	default:
		return heifInfo{}, errorf(ErrUnsupported, "This photo is saved in a way Hearth cannot read. Please send it as an ordinary JPEG or HEIC photo.")
	}

	var info heifInfo
	haveSize := false
	for _, idx := range p.props {
		if idx < 1 || idx > len(props) {
			continue // 0 means "no property"; a wrong index is libheif's to refuse
		}
		pb := props[idx-1]
		r := &heifReader{b: pb.body}
		switch pb.typ {
		case "ispe":
			r.n(4)
			info.width, info.height, haveSize = int(min(r.n(4), 1<<31-1)), int(min(r.n(4), 1<<31-1)), true
		case "clap":
			wn, wd, hn, hd := r.n(4), r.n(4), r.n(4), r.n(4)
			if wd != 0 && hd != 0 && !r.bad {
				info.width, info.height = int(min((wn+wd/2)/wd, 1<<31-1)), int(min((hn+hd/2)/hd, 1<<31-1))
			}
		case "irot":
			if r.n(1)&1 == 1 { // 90 or 270 degrees
				info.width, info.height = info.height, info.width
			}
			info.transformed = true
		case "imir":
			info.transformed = true
		case "colr":
			if t := r.str4(); (t == "prof" || t == "rICC") && len(r.b) <= maxICCBytes {
				info.icc = r.b
			}
		}
		if r.bad {
			return heifInfo{}, damaged
		}
	}
	if !haveSize {
		return heifInfo{}, damaged
	}
	info.orientation = 1
	for id, to := range cdsc {
		if to != primary || items[id] == nil || items[id].typ != "Exif" {
			continue
		}
		if exif, ok := heifItemData(data, idat, items[id]); ok && len(exif) >= 4 {
			skip := uint64(binary.BigEndian.Uint32(exif)) // bytes before the TIFF header
			if 4+skip < uint64(len(exif)) {
				info.orientation = tiffOrientation(exif[4+skip:])
			}
		}
		break
	}
	return info, nil
}

// heifItemData puts an item's extents together, or says it cannot (out of the file, too big).
func heifItemData(data, idat []byte, it *heifItem) ([]byte, bool) {
	src := data
	switch it.method {
	case 0:
	case 1:
		src = idat
	default:
		return nil, false
	}
	var out []byte
	for _, e := range it.extents {
		if e.length == 0 || e.offset > uint64(len(src)) || e.length > uint64(len(src))-e.offset || len(out)+int(e.length) > 1<<20 {
			return nil, false
		}
		out = append(out, src[e.offset:e.offset+e.length]...)
	}
	return out, true
}

// heifICC returns the ICC profile of a HEIC's primary picture, or nil.
func heifICC(data []byte) []byte {
	info, err := heifHeader(data)
	if err != nil {
		return nil
	}
	return info.icc
}

// decodeHEIC decodes a HEIC's primary picture, turned and cropped as the file says.
func decodeHEIC(data []byte) (image.Image, error) {
	img, err := heic.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errorf(ErrInvalid, "This photo is damaged: its HEIC picture cannot be read. Please try sending it again.")
	}
	return img, nil
}
