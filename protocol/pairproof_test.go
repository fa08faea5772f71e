package protocol

import "testing"

func TestPairProof(t *testing.T) {
	code := "K7QXM2PD9FJ4ABCD"
	key := InvitationKey(code)
	if len(key) != 32 || string(key) != string(InvitationKey(code)) {
		t.Fatal("the key is not 32 bytes, or not the same twice")
	}
	if string(InvitationKey("K7QXM2PD9FJ4ABCE")) == string(key) || string(InvitationKey("K7QYM2PD9FJ4ABCD")) == string(key) {
		t.Fatal("another secret or id gives the same key")
	}
	nonce := NewPairNonce()
	proof := PairProof(key, "K7QX", nonce, "pin-a")
	if !CheckPairProof(key, "K7QX", nonce, "pin-a", proof) {
		t.Fatal("a proof does not check")
	}
	for _, c := range []struct{ id, nonce, pin string }{{"K7QY", nonce, "pin-a"}, {"K7QX", NewPairNonce(), "pin-a"}, {"K7QX", nonce, "pin-b"}} {
		if CheckPairProof(key, c.id, c.nonce, c.pin, proof) {
			t.Fatalf("a proof checks for %+v", c)
		}
	}
}

// BenchmarkInvitationKey is what the server pays per invitation made and the app per pairing
// by code; a guesser pays it per guess.
func BenchmarkInvitationKey(b *testing.B) {
	for i := 0; i < b.N; i++ {
		InvitationKey("K7QXM2PD9FJ4ABCD")
	}
}
