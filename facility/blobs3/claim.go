package blobs3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"

	"hearth/protocol"
)

// MarkerName is the object at the root of a home's prefix that says whose photos are there. It
// can never be a photo's name (those are ab/abcd…-variant.jpg).
const MarkerName = "hearth-home.json"

// marker is MarkerName's content.
type marker struct {
	Home string `json:"home"` // the facility id
	Name string `json:"name"`

	unreadable bool // there, but this store's key may not read it
}

// String names the marker's home for messages.
func (m marker) String() string {
	if m.unreadable {
		return "another home (its marker cannot be read with these credentials)"
	}
	return fmt.Sprintf("the home %q (id %s)", m.Name, m.Home)
}

// Claim makes sure the store's prefix is the home's own part of the bucket, and marks it so:
// a second home configured with the same prefix, with a prefix inside this one or with one that
// holds this one is refused, whichever of them starts first. It reads the marker of the prefix
// and of every prefix above it; the first time a prefix is claimed it also lists what is below
// it, once. It changes nothing when it refuses.
//
// Two homes claiming new prefixes at the same moment can both pass; the marker is read back
// after writing, which catches two claims of the same prefix in most interleavings.
func (s *Store) Claim(ctx context.Context, home protocol.FacilityRef) error {
	if home.ID == "" {
		return errors.New("claim the photo prefix: the home has no id")
	}
	// A prefix above ours that belongs to a home: our photos would be among its photos.
	for _, up := range parents(s.prefix) {
		m, found, err := s.readMarker(ctx, up)
		if err != nil {
			return err
		}
		if found {
			return fmt.Errorf("%s lies inside %s, where the photos of %s are: "+
				"give each home a prefix of its own beside the others, such as homes/maple-grove/ and homes/oak-lodge/",
				s.at(s.prefix), s.at(up), m)
		}
	}
	m, found, err := s.readMarker(ctx, s.prefix)
	if err != nil {
		return err
	}
	if found {
		if m.unreadable || m.Home != home.ID {
			return fmt.Errorf("%s holds the photos of %s, not of %q (id %s): "+
				"each home needs a prefix of its own; check --blobs and settings.json",
				s.at(s.prefix), m, home.Name, home.ID)
		}
		return nil
	}
	// First claim: no home may be below us either, or its photos would be among ours.
	lctx, stop := context.WithCancel(ctx) // ends the listing when we return early
	defer stop()
	for obj := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("list %s: %w", s.at(s.prefix), describe(obj.Err))
		}
		if below, ok := strings.CutSuffix(obj.Key, MarkerName); ok && strings.HasSuffix(below, "/") {
			other, _, err := s.readMarker(ctx, below)
			if err != nil {
				return err
			}
			return fmt.Errorf("%s holds %s, where the photos of %s are: "+
				"give each home a prefix of its own beside the others, such as homes/maple-grove/ and homes/oak-lodge/",
				s.at(s.prefix), s.at(below), other)
		}
	}
	b, _ := json.Marshal(marker{Home: home.ID, Name: home.Name})
	if _, err := s.client.PutObject(ctx, s.bucket, s.prefix+MarkerName, bytes.NewReader(b), int64(len(b)),
		minio.PutObjectOptions{ContentType: "application/json", SendContentMd5: true}); err != nil {
		return fmt.Errorf("mark %s as the home's: %w", s.at(s.prefix), describe(err))
	}
	m, found, err = s.readMarker(ctx, s.prefix)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%s: the marker just written is not there; is something else removing objects?", s.at(s.prefix))
	}
	if m.unreadable || m.Home != home.ID {
		return fmt.Errorf("%s was claimed by %s at the same moment: each home needs a prefix of its own",
			s.at(s.prefix), m)
	}
	return nil
}

// parents are the prefixes above p, from the bucket's root down: "a/b/" has "" and "a/".
func parents(p string) []string {
	if p == "" {
		return nil
	}
	out := []string{""}
	for i := 0; i < len(p)-1; i++ {
		if p[i] == '/' {
			out = append(out, p[:i+1])
		}
	}
	return out
}

// at names a prefix of the store's bucket for messages.
func (s *Store) at(prefix string) string { return "s3://" + s.bucket + "/" + prefix }

// readMarker reads the marker at the root of prefix; found is false when there is none. Whether
// it is there is asked by listing (s3:ListBucket on the bucket), which a home's key may do
// everywhere, while its s3:GetObject reaches only its own prefix: a marker another home's key
// cannot read is still found, and named by its place alone.
func (s *Store) readMarker(ctx context.Context, prefix string) (m marker, found bool, err error) {
	key := prefix + MarkerName
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	for obj := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: key, MaxKeys: 10}) {
		if obj.Err != nil {
			return m, false, fmt.Errorf("look for %s: %w", s.at(key), describe(obj.Err))
		}
		if obj.Key == key {
			found = true
			break
		}
	}
	if !found {
		return m, false, nil
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	var b []byte
	if err == nil {
		defer obj.Close()
		b, err = io.ReadAll(io.LimitReader(obj, 64<<10))
	}
	switch {
	case minio.ToErrorResponse(err).Code == "AccessDenied":
		return marker{unreadable: true}, true, nil
	case err != nil:
		return m, false, fmt.Errorf("read %s: %w", s.at(key), describe(err))
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Home == "" {
		return m, false, fmt.Errorf("%s is not a Hearth home's marker; move it away or choose another prefix", s.at(key))
	}
	return m, true, nil
}
