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
			return fmt.Errorf("%s lies inside %s, where the photos of the home %q (id %s) are: "+
				"give each home a prefix of its own beside the others, such as homes/maple-grove/ and homes/oak-lodge/",
				s.at(s.prefix), s.at(up), m.Name, m.Home)
		}
	}
	m, found, err := s.readMarker(ctx, s.prefix)
	if err != nil {
		return err
	}
	if found {
		if m.Home != home.ID {
			return fmt.Errorf("%s holds the photos of the home %q (id %s), not of %q (id %s): "+
				"each home needs a prefix of its own; check --blobs and settings.json",
				s.at(s.prefix), m.Name, m.Home, home.Name, home.ID)
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
			return fmt.Errorf("%s holds %s, where the photos of the home %q (id %s) are: "+
				"give each home a prefix of its own beside the others, such as homes/maple-grove/ and homes/oak-lodge/",
				s.at(s.prefix), s.at(below), other.Name, other.Home)
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
	if !found || m.Home != home.ID {
		return fmt.Errorf("%s was claimed by the home %q (id %s) at the same moment: each home needs a prefix of its own",
			s.at(s.prefix), m.Name, m.Home)
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

// readMarker reads the marker at the root of prefix; found is false when there is none.
func (s *Store) readMarker(ctx context.Context, prefix string) (marker, bool, error) {
	var m marker
	obj, err := s.client.GetObject(ctx, s.bucket, prefix+MarkerName, minio.GetObjectOptions{})
	if err == nil {
		defer obj.Close()
		var b []byte
		if b, err = io.ReadAll(io.LimitReader(obj, 64<<10)); err == nil {
			if err := json.Unmarshal(b, &m); err != nil || m.Home == "" {
				return m, false, fmt.Errorf("%s%s is not a Hearth home's marker; move it away or choose another prefix",
					s.at(prefix), MarkerName)
			}
			return m, true, nil
		}
	}
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return m, false, nil
	}
	return m, false, fmt.Errorf("read %s%s: %w", s.at(prefix), MarkerName, describe(err))
}
