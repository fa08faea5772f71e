package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/blobdir"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

// server is a real facility server on loopback over a real PostgreSQL database.
type server struct {
	t   *testing.T
	srv *facility.Server
	ts  *httptest.Server
}

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	hub := facility.NewHub()
	st, err := OpenWith(ctx, pgtest.DB(t), Options{Name: "Maple Grove", Notify: hub.Notify, Waiters: hub})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := blobdir.Open(t.TempDir())
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	srv, err := facility.New(ctx, facility.Config{Store: st, Blobs: blobs, Hub: hub, Insecure: true, PublicHost: "127.0.0.1:1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	s := &server{t: t, srv: srv, ts: httptest.NewServer(srv.Handler())}
	t.Cleanup(func() {
		srv.Shutdown()
		s.ts.Close()
		srv.Close()
	})
	return s
}

func (s *server) do(method, path, token string, body any, status int, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.ts.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.ts.Client().Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// pair invites the person (into circle, when given) from the command line and pairs a device
// with the code, as a person at the door does; it returns the device's token.
func (s *server) pair(personID, circle, relation string) string {
	s.t.Helper()
	inv, err := s.srv.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: personID, CircleID: circle, Relation: relation})
	if err != nil {
		s.t.Fatal(err)
	}
	var pr protocol.PairResponse
	s.do("POST", "/v1/pair", "", protocol.PairRequest{Code: inv.Code, DeviceName: "tablet"}, 200, &pr)
	return pr.Token
}

// TestFlowOnPostgreSQL: the server over PostgreSQL. A resident and her daughter pair their
// devices; the resident waits on a long-poll; the daughter posts in the resident's circle; the
// long-poll returns with the post, and a pull from the start holds it once.
func TestFlowOnPostgreSQL(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	rose, err := s.srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Rose", Role: protocol.RoleResident})
	if err != nil {
		t.Fatal(err)
	}
	anna, err := s.srv.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "Anna", Role: protocol.RoleFamily})
	if err != nil {
		t.Fatal(err)
	}
	roseToken := s.pair(rose.Person.ID, "", "")
	annaToken := s.pair(anna.Person.ID, rose.Circle.ID, "Daughter")

	var first protocol.SyncResponse
	s.do("GET", "/v1/sync?limit=1000", roseToken, nil, 200, &first)

	type polled struct {
		sr protocol.SyncResponse
		at time.Time
	}
	poll := make(chan polled, 1)
	before := s.srv.Hub().Subscriptions()
	go func() {
		var sr protocol.SyncResponse
		req, _ := http.NewRequest("GET", s.ts.URL+"/v1/sync?since="+first.Next+"&wait=30", nil)
		req.Header.Set("Authorization", "Bearer "+roseToken)
		resp, err := s.ts.Client().Do(req)
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&sr)
			resp.Body.Close()
		}
		poll <- polled{sr, time.Now()}
	}()
	// The long-poll is waiting once it has subscribed to the hub; no fixed sleep.
	deadline := time.Now().Add(10 * time.Second)
	for s.srv.Hub().Subscriptions() == before {
		if time.Now().After(deadline) {
			t.Fatal("the long-poll never started waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}

	postID := protocol.NewID()
	s.do("PUT", "/v1/posts/"+postID, annaToken, protocol.PutPost{CircleID: rose.Circle.ID, Caption: "Garden today", Photos: []string{}}, 201, nil)
	acked := time.Now()

	select {
	case p := <-poll:
		found := false
		for _, c := range p.sr.Changes {
			found = found || c.Kind == protocol.KindPost && c.Op == protocol.OpPut && c.ID == postID
		}
		if !found {
			t.Fatalf("the long-poll returned %+v, want the post %s", p.sr.Changes, postID)
		}
		t.Logf("the long-poll returned %v after the post was acknowledged", p.at.Sub(acked))
	case <-time.After(20 * time.Second):
		t.Fatal("the long-poll did not return after a post its reader may see")
	}

	for _, tok := range []string{roseToken, annaToken} {
		var all []protocol.Change
		since := ""
		for {
			var sr protocol.SyncResponse
			path := "/v1/sync?limit=1000"
			if since != "" {
				path += "&since=" + since
			}
			s.do("GET", path, tok, nil, 200, &sr)
			all = append(all, sr.Changes...)
			if since = sr.Next; !sr.More {
				break
			}
		}
		n := 0
		for _, c := range all {
			if c.Kind == protocol.KindPost && c.ID == postID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("a pull from the start holds the post %d times, want once (%d changes)", n, len(all))
		}
	}
}
