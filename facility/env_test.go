package facility_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"hearth/facility"
	"hearth/facility/datadir"
	"hearth/protocol"
)

// env is a real facility server on loopback over a real data directory.
type env struct {
	t   testing.TB
	dir string
	// database is the PostgreSQL database the records are in ("" on SQLite: dir/facility.db).
	database string
	f        *datadir.Facility
	ts       *httptest.Server
	logw     io.Writer // the server's log; discarded unless set before open
	lim      facility.Limits
	// pushClient reaches push services (a local one); set before open.
	pushClient *http.Client
}

func newEnv(t testing.TB) *env { return newEnvWith(t, io.Discard, facility.Limits{}) }

// newEnvLogging is newEnv with the server's log written to logw.
func newEnvLogging(t testing.TB, logw io.Writer) *env { return newEnvWith(t, logw, facility.Limits{}) }

// newEnvWith is newEnv with the server's log written to logw and the upload limits lim.
func newEnvWith(t testing.TB, logw io.Writer, lim facility.Limits) *env {
	t.Helper()
	dir := t.TempDir()
	database := testDatabase(t)
	initDataDir(t, dir, "Maple Grove", database)
	e := &env{t: t, dir: dir, database: database, logw: logw, lim: lim}
	e.open()
	return e
}

func (e *env) open() {
	e.t.Helper()
	f, err := datadir.Open(context.Background(), datadir.Config{DataDir: e.dir, Insecure: true, PublicHost: "127.0.0.1:1",
		Logger: slog.New(slog.NewTextHandler(e.logw, nil)), Limits: e.lim, PushClient: e.pushClient,
		Database: e.database})
	if err != nil {
		e.t.Fatal(err)
	}
	e.f = f
	e.ts = httptest.NewServer(f.Handler())
	e.t.Cleanup(e.close)
}

func (e *env) close() {
	if e.ts != nil {
		e.f.Shutdown()
		e.ts.Close()
		e.f.Close()
		e.ts = nil
	}
}

// person is a person with one paired device.
type person struct {
	protocol.Person
	token  string
	device string
	circle string // their own circle, for residents
}

// addPerson creates a person from the command line and pairs a device for them.
func (e *env) addPerson(name, role string) *person {
	e.t.Helper()
	ctx := context.Background()
	resp, err := e.f.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	p := &person{Person: resp.Person}
	if resp.Circle != nil {
		p.circle = resp.Circle.ID
	}
	e.pairDevice(p, "", "")
	return p
}

// pairDevice invites p (into circle, when given) and pairs a new device, which becomes p's. When
// p has a device already, p makes the invitation from it (staff may not: DESIGN rule 6);
// otherwise the command line does.
func (e *env) pairDevice(p *person, circle, relation string) {
	e.t.Helper()
	var inv protocol.InvitationResponse
	if p.token != "" {
		e.mustJSON(e.do("POST", "/v1/invitations", p.token, protocol.CreateInvitation{PersonID: p.ID}), 201, &inv)
	} else {
		var err error
		inv, err = e.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: p.ID, CircleID: circle, Relation: relation})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	var pr protocol.PairResponse
	e.mustJSON(e.do("POST", "/v1/pair", "", protocol.PairRequest{Code: inv.Code, DeviceName: p.Name + "'s tablet"}), 200, &pr)
	p.token, p.device = pr.Token, pr.DeviceID
}

// newPerson creates a person from the command line without a device.
func (e *env) newPerson(name, role string) *person {
	e.t.Helper()
	resp, err := e.f.CreatePerson(context.Background(), facility.Admin, protocol.CreatePerson{Name: name, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	p := &person{Person: resp.Person}
	if resp.Circle != nil {
		p.circle = resp.Circle.ID
	}
	return p
}

// join adds p, who has a device already, to circle: staff add a membership (a code for p would
// be refused: p has a device).
func (e *env) join(p *person, circle string) {
	e.t.Helper()
	if _, err := e.f.Server.Store().AddMember(context.Background(), facility.Admin, circle, p.ID, protocol.AddMember{Relation: "Family"}); err != nil {
		e.t.Fatal(err)
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (e *env) mustJSON(r response, status int, v any) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			e.t.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// errCode returns the error code of an error response.
func errCode(r response) string {
	var eb protocol.ErrorBody
	json.Unmarshal(r.body, &eb)
	return eb.Error.Code
}

func (e *env) sync(p *person, since string) protocol.SyncResponse {
	e.t.Helper()
	var sr protocol.SyncResponse
	path := "/v1/sync?limit=1000"
	if since != "" {
		path += "&since=" + since
	}
	e.mustJSON(e.do("GET", path, p.token, nil), 200, &sr)
	return sr
}

// feed returns everything p's feed holds, from the start.
func (e *env) feed(p *person) []protocol.Change {
	e.t.Helper()
	var all []protocol.Change
	since := ""
	for {
		sr := e.sync(p, since)
		all = append(all, sr.Changes...)
		since = sr.Next
		if !sr.More {
			return all
		}
	}
}

// has reports whether changes hold (kind, op, id).
func has(changes []protocol.Change, kind, op, id string) bool {
	for _, c := range changes {
		if c.Kind == kind && c.Op == op && c.ID == id {
			return true
		}
	}
	return false
}

// upload sends a real photo and returns its hash.
func (e *env) upload(p *person, path string) string {
	e.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	r := e.do("PUT", "/v1/blobs/"+sha, p.token, data)
	if r.status != 201 && r.status != 200 {
		e.t.Fatalf("upload %s: %d %s", path, r.status, r.body)
	}
	return sha
}

func (e *env) post(p *person, circle, caption string, photos ...string) (string, response) {
	e.t.Helper()
	id := protocol.NewID()
	if photos == nil {
		photos = []string{}
	}
	return id, e.do("PUT", "/v1/posts/"+id, p.token, protocol.PutPost{CircleID: circle, Caption: caption, Photos: photos})
}

func (e *env) message(from, to *person, text string) (string, response) {
	e.t.Helper()
	id := protocol.NewID()
	return id, e.do("PUT", "/v1/messages/"+id, from.token, protocol.PutMessage{To: to.ID, Text: text})
}

const demoPhoto = "testdata/bridge-640.jpg"
const demoPhoto2 = "testdata/wine-640.jpg"
