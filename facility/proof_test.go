package facility_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/protocol"
)

// lockedBuffer is a log the server writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// from returns a client whose connections come from the loopback address ip (127.0.0.0/8 is all
// this computer on Linux), so that one test can be several clients to the rate limit.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

func (e *env) postFrom(c *http.Client, path string, body any) response {
	e.t.Helper()
	j, _ := json.Marshal(body)
	resp, err := c.Post(e.ts.URL+path, "application/json", bytes.NewReader(j))
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

// TestPairProofIsNoOracle (issue 12, finding 10): with only an invitation's 4-character id, an
// attacker asking /v1/pair/proof gets the same kind of answer for a live, used, expired, burned
// or unknown invitation (200, a proof of the same length), which tells them nothing; the holder
// of the code still learns the state from it. Every proof request counts against the address
// like a wrong code, so an address gets 429 after ten, and refused and rate-limited pairings are
// logged with the client's address (rate-limited ones once a minute).
func TestPairProofIsNoOracle(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnvLogging(t, logs)
	anna := e.addPerson("Anna", protocol.RoleFamily)
	codes := map[string]string{}
	for _, state := range []string{"live", "used", "expired", "burned"} {
		c, _ := protocol.NormalizeCode(e.invite(anna, "").Code)
		codes[state] = c
	}
	e.mustJSON(e.postFrom(from("127.0.0.2"), "/v1/pair", protocol.PairRequest{Code: codes["used"]}), 200, nil)
	burner := from("127.0.0.3")
	for i := 0; i < 5; i++ {
		e.postFrom(burner, "/v1/pair", protocol.PairRequest{Code: wrongSecret(codes["burned"], i)})
	}
	db := e.rawDB()
	db.exec(`UPDATE invitations SET expires_at = ? WHERE lookup = ?`, db.time(time.Now().Add(-time.Minute)), codes["expired"][:4])
	codes["unknown"] = "ZZZZ" + codes["live"][4:]
	if codes["unknown"][:4] == codes["live"][:4] {
		codes["unknown"] = "YYYY" + codes["live"][4:]
	}

	attacker := from("127.0.0.4")
	nonce := protocol.NewPairNonce()
	for state, code := range codes {
		var pp protocol.PairProofResponse
		r := e.postFrom(attacker, "/v1/pair/proof", protocol.PairProofRequest{CodeID: code[:4], Nonce: nonce})
		e.mustJSON(r, 200, &pp)
		if len(pp.Proof) != 43 || pp.Pin != "" {
			t.Errorf("%s invitation: the answer differs in shape: %s", state, r.body)
		}
		// The holder of the code reads the state; the id alone reads nothing.
		got, ok := protocol.ReadPairProof(protocol.InvitationKey(code), code[:4], nonce, pp.Pin, pp.Proof)
		want := map[string]string{"live": "", "used": protocol.CodeCodeUsed, "expired": protocol.CodeCodeExpired,
			"burned": protocol.CodeCodeBurned}[state]
		if state == "unknown" {
			if ok {
				t.Errorf("a proof for an unknown invitation verifies: %q", got)
			}
		} else if !ok || got != want {
			t.Errorf("%s invitation: the code's holder reads %q %v, want %q", state, got, ok, want)
		}
	}
	// Five proofs were asked: five more, and the address is stopped, whatever they named.
	for i := 0; i < 5; i++ {
		e.mustJSON(e.postFrom(attacker, "/v1/pair/proof", protocol.PairProofRequest{CodeID: codes["unknown"][:4], Nonce: nonce}), 200, nil)
	}
	r := e.postFrom(attacker, "/v1/pair/proof", protocol.PairProofRequest{CodeID: codes["live"][:4], Nonce: nonce})
	if r.status != 429 || errCode(r) != protocol.CodeRateLimited {
		t.Fatalf("the 11th proof from one address: %d %s", r.status, r.body)
	}
	if r := e.postFrom(attacker, "/v1/pair", protocol.PairRequest{Code: codes["live"]}); r.status != 429 {
		t.Fatalf("pairing from the stopped address: %d %s", r.status, r.body)
	}
	for _, want := range []string{
		`msg="pairing refused" addr=127.0.0.3 code=invalid_code`,
		`msg="pairing proof refused" addr=127.0.0.4 code=code_used`,
		`msg="pairing rate-limited" addr=127.0.0.4 path=/v1/pair/proof`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log has no %s:\n%s", want, logs)
		}
	}
	// Two refusals, one line: hammering the limit does not flood the log.
	if n := strings.Count(logs.String(), `msg="pairing rate-limited"`); n != 1 {
		t.Errorf("%d lines for a rate-limited address, want 1:\n%s", n, logs)
	}
}
