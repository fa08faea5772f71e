package blobs3_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"hearth/facility/blobs3"
	"hearth/facility/blobs3/s3test"
	"hearth/facility/blobtest"
	"hearth/protocol"
)

// TestClaim: a home claims its prefix once and again at every start; another home is refused
// the same prefix, one inside it and one around it, whichever claims first, and a refusal
// writes nothing.
func TestClaim(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, bucket)
	maple := protocol.FacilityRef{ID: protocol.NewID(), Name: "Maple Grove"}
	oak := protocol.FacilityRef{ID: protocol.NewID(), Name: "Oak Lodge"}
	claim := func(prefix string, home protocol.FacilityRef) error {
		return open(t, config(srv, prefix)).Claim(ctx, home)
	}
	if err := claim("homes/maple/", maple); err != nil {
		t.Fatal(err)
	}
	if err := claim("homes/maple/", maple); err != nil {
		t.Fatalf("the same home again: %v", err)
	}
	// Oak Lodge is below a home that claimed first; then a home claimed first below Oak Lodge.
	if err := claim("deep/oak/inner/", maple); err != nil {
		t.Fatal(err)
	}
	keys := srv.Keys(t, bucket, "")
	for prefix, want := range map[string]string{
		"homes/maple/":    `s3://hearth-photos/homes/maple/ holds the photos of the home "Maple Grove"`,
		"homes/maple/x/":  `s3://hearth-photos/homes/maple/x/ lies inside s3://hearth-photos/homes/maple/`,
		"homes/":          `s3://hearth-photos/homes/ holds s3://hearth-photos/homes/maple/`,
		"":                `s3://hearth-photos/ holds s3://hearth-photos/`,
		"deep/oak/":       `s3://hearth-photos/deep/oak/ holds s3://hearth-photos/deep/oak/inner/`,
		"deep/oak/inner/": `holds the photos of the home "Maple Grove"`,
	} {
		err := claim(prefix, oak)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Oak Lodge claims %q: %v", prefix, err)
		}
		if got := srv.Keys(t, bucket, ""); !slices.Equal(got, keys) {
			t.Errorf("a refused claim of %q wrote %q", prefix, got)
		}
	}
	// Photos already under a prefix (photos copy to a new prefix, or a bucket from before the
	// markers) do not stop its first claim.
	s := open(t, config(srv, "homes/oak/"))
	if err := s.Put(ctx, blobtest.Hash("oak"), "thumb", []byte("jpeg")); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, oak); err != nil {
		t.Fatal(err)
	}
	// With a key allowed only its own prefix (the policy in docs/install-facility.md) a home
	// claims its prefix; one inside another home's is still found, by listing, though the
	// other's marker cannot be read.
	srv.Restrict("homes/birch/")
	if err := claim("homes/birch/", oak); err != nil {
		t.Fatalf("a key restricted to its prefix: %v", err)
	}
	srv.Restrict("homes/maple/annexe/")
	if err := claim("homes/maple/annexe/", oak); err == nil || !strings.Contains(err.Error(),
		"lies inside s3://hearth-photos/homes/maple/, where the photos of another home (its marker cannot be read") {
		t.Errorf("a restricted key inside another home's prefix: %v", err)
	}
	srv.Restrict("")
	// A home without an id (a bug) marks nothing.
	if err := claim("homes/elm/", protocol.FacilityRef{}); err == nil {
		t.Error("a home without an id claimed a prefix")
	}
	if k := srv.Keys(t, bucket, "homes/elm/"+blobs3.MarkerName); len(k) != 0 {
		t.Errorf("a refused claim wrote %q", k)
	}
}
