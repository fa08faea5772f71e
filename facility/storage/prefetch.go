package storage

// Prefetcher is a Tx that can make several reads in one round trip: on a database over the
// network each read is a round trip of its own, and a post's checks were six of them. A write
// names the reads it is about to make (Want) before it makes them; each is then answered once
// from what was read together. A read asked again, or asked after a write of the transaction,
// reads the database as usual, so a Want that names too much or too little changes no answer.
type Prefetcher interface {
	Prefetch(w Want) error
}

// Want names reads of a Tx; what is empty is not read.
type Want struct {
	Item          string    // Item(Item)
	People        []string  // Person(id) of each
	MemberCircles string    // MemberCircles(MemberCircles)
	Circle        string    // Circle(Circle)
	Photos        []string  // Blob(sha) of each, and BlobUploadedBy(sha, UploadedBy) when it is set
	UploadedBy    string    //
	PhotoScopes   bool      // and ScopesWithPhoto(sha, …) of each (its first page, on a backend that pages)
	SharesCircle  [2]string // SharesCircle(SharesCircle[0], SharesCircle[1]) when both are set
}

// Prefetch has tx read w together when it can; a Tx that cannot reads each when asked.
func Prefetch(tx Tx, w Want) error {
	if p, ok := tx.(Prefetcher); ok {
		return p.Prefetch(w)
	}
	return nil
}
