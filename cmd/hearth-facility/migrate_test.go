package main

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hearth/facility"
	"hearth/facility/blobs3"
	"hearth/facility/blobs3/s3test"
	"hearth/facility/datadir"
	"hearth/facility/pgstore"
	"hearth/facility/pgtest"
	"hearth/facility/sqlitestore"
	"hearth/facility/storage"
	"hearth/facility/webpush"
	"hearth/protocol"
	"hearth/sqlitedb"
)

// feedPage reads one page of the device's feed from since.
func feedPage(t *testing.T, base, token, since string, limit int) protocol.SyncResponse {
	t.Helper()
	h := home{base: base, token: token}
	status, b, _ := h.do(t, "GET", "/v1/sync?limit="+itoa(limit)+"&since="+since, nil)
	var sr protocol.SyncResponse
	if err := json.Unmarshal(b, &sr); status != 200 || err != nil {
		t.Fatalf("sync from %q: %d %s %v", since, status, b, err)
	}
	return sr
}

// feed reads the device's feed from since to its end, in order, and the cursor after it.
func feed(t *testing.T, base, token, since string) ([]protocol.Change, string) {
	t.Helper()
	var all []protocol.Change
	for {
		sr := feedPage(t, base, token, since, 7) // small pages: many cursors are crossed
		all = append(all, sr.Changes...)
		since = sr.Next
		if !sr.More {
			return all, since
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// put sends a JSON body as the device and wants one of the statuses.
func (h home) put(t *testing.T, method, path string, body any, want ...int) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	status, out, _ := h.do(t, method, path, b)
	for _, w := range want {
		if status == w {
			return out
		}
	}
	t.Fatalf("%s %s: %d %s", method, path, status, out)
	return nil
}

// picture is what staff see of a home besides the feed: the audit, the devices (without when
// each was last seen, which every request moves) and the open invitations.
type picture struct {
	Audit       protocol.AuditList
	Devices     protocol.DeviceList
	Invitations protocol.InvitationList
}

func (h home) picture(t *testing.T) picture {
	t.Helper()
	var p picture
	for path, into := range map[string]any{"/v1/audit?limit=1000": &p.Audit, "/v1/devices": &p.Devices,
		"/v1/invitations": &p.Invitations} {
		status, b, _ := h.do(t, "GET", path, nil)
		if err := json.Unmarshal(b, into); status != 200 || err != nil {
			t.Fatalf("GET %s: %d %s %v", path, status, b, err)
		}
	}
	for i := range p.Devices.Devices {
		p.Devices.Devices[i].LastSeen = nil
	}
	return p
}

func sameChanges(a, b []protocol.Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Seq != b[i].Seq || a[i].Kind != b[i].Kind || a[i].Op != b[i].Op || a[i].ID != b[i].ID ||
			!bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

// sameRecords compares every table of facility.db in dir with the PostgreSQL database at db,
// row for row (as sets: the order of rows without one is free), through the export migrate
// uses on one side and plain queries on the other.
func sameRecords(t *testing.T, dir, db string) {
	t.Helper()
	ctx := context.Background()
	lite, err := sqlitestore.Open(ctx, filepath.Join(dir, datadir.DBFile), sqlitestore.Options{Logger: quietLogger(), WatchInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	want := map[string][]string{}
	err = lite.Export(ctx, func(tb storage.Table, rows storage.Rows) error {
		want[tb.Name] = []string{}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				return err
			}
			want[tb.Name] = append(want[tb.Name], rowText(v))
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, tb := range storage.Tables {
		table, cols := tb.Name, []string{}
		for _, c := range tb.Columns {
			cols = append(cols, c.Name)
		}
		switch tb.Name { // pgfeed's tables
		case "changes":
			table, cols[0] = "feed_changes", "pos"
		case "streams":
			table, cols[1] = "feed_streams", "pos"
		}
		rows, err := conn.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rowText(v))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		slices.Sort(want[tb.Name])
		if !slices.Equal(got, want[tb.Name]) {
			t.Errorf("%s differs after the move:\nSQLite     %q\nPostgreSQL %q", tb.Name, want[tb.Name], got)
		}
	}
}

// rowText writes a row's values alike whichever database they came from.
func rowText(vals []any) string {
	var b strings.Builder
	for _, v := range vals {
		switch x := v.(type) {
		case time.Time:
			v = x.UTC().Format(time.RFC3339Nano)
		case int32:
			v = int64(x)
		case []byte:
			v = hex.EncodeToString(x)
		}
		fmt.Fprintf(&b, "%#v|", v)
	}
	return b.String()
}

// TestMigrateToPostgresAndS3 builds a home on SQLite through the real server (people, circles,
// a post with a photo, messages, a reaction, seen marks, an announcement, paired devices, a Web
// Push subscription, an offer, an invitation left unused), a device pulls part of its feed, the
// server stops, migrate moves the records to a real PostgreSQL (every table compared row for row
// afterwards) and the photos to an S3 bucket, and the real server, started as before, serves
// from there: every feed, the audit, the devices and the invitations are as they
// were, the photos byte for byte, the device carries on from its old cursor with nothing missed
// or repeated without pairing again, the unused invitation still pairs, and a new write reaches
// the device.
func TestMigrateToPostgresAndS3(t *testing.T) {
	bin := buildBinary(t)
	bucket := s3test.Start(t, photoBucket)
	photo, err := os.ReadFile("../../facility/testdata/bridge-640.jpg")
	if err != nil {
		t.Fatal(err)
	}
	dir, inv := initFacility(t)
	rose, circle := addPerson(t, dir, "Rose", "resident")
	bert, bertCircle := addPerson(t, dir, "Bert", "resident")
	addr := freeAddr(t)
	base := "http://" + addr
	cmd, logs := startServe(t, bin, http.DefaultClient, base, "--data", dir, "--addr", addr, "--insecure-http")

	spr, status := pair(t, base, inv.Code)
	if status != 200 {
		t.Fatalf("pair staff: %d", status)
	}
	staff := home{base: base, token: spr.Token, circle: circle}
	var fayInv, gusInv protocol.InvitationResponse
	json.Unmarshal(staff.put(t, "POST", "/v1/invitations", protocol.CreateInvitation{Name: "Fay", CircleID: circle,
		Relation: "daughter", CanInvite: true}, 201, 200), &fayInv)
	fpr, status := pair(t, base, fayInv.Code)
	if status != 200 {
		t.Fatalf("pair Fay: %d", status)
	}
	fay := home{base: base, token: fpr.Token, circle: circle}
	// Gus's invitation stays unused until after the move.
	json.Unmarshal(staff.put(t, "POST", "/v1/invitations", protocol.CreateInvitation{Name: "Gus", CircleID: circle,
		Relation: "grandson"}, 201, 200), &gusInv)

	sha := staff.share(t, photo)
	thumb, display := staff.variant(t, sha, "thumb", 400), staff.variant(t, sha, "display", 2048)
	msg := protocol.NewID()
	fay.put(t, "PUT", "/v1/messages/"+msg, protocol.PutMessage{To: spr.Person.ID, Text: "Is Mum eating well?"}, 201)
	fay.put(t, "PUT", "/v1/messages/"+protocol.NewID(), protocol.PutMessage{To: rose, Text: "See you Sunday"}, 201)
	staff.put(t, "PUT", "/v1/announcements/"+protocol.NewID(), protocol.PutAnnouncement{Text: "Fête on Saturday",
		Audience: protocol.AudienceEveryone}, 201)

	// Fay's phone gets notices (a Web Push subscription); Fay, in Bert's circle too, asks that
	// Bert join Rose's (an offer).
	browserKey, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var sub webpush.Subscription
	sub.Endpoint = "https://push.invalid/send/" + protocol.NewID()
	sub.Keys.P256dh = base64.RawURLEncoding.EncodeToString(browserKey.PublicKey().Bytes())
	sub.Keys.Auth = base64.RawURLEncoding.EncodeToString([]byte("sixteen byte key"))
	fay.put(t, "PUT", "/v1/push/subscription", facility.PushSubscription{Subscription: sub,
		Called: map[string]string{rose: "Mum"}}, 200)
	staff.put(t, "PUT", "/v1/circles/"+bertCircle+"/members/"+fpr.Person.ID, protocol.AddMember{Relation: "niece"}, 200, 201)
	fay.put(t, "PUT", "/v1/circles/"+circle+"/members/"+bert, protocol.AddMember{Relation: "friend"}, 200, 201, 202)

	// Fay's device has read part of its feed; then more comes that it has not read yet.
	part := feedPage(t, base, fay.token, "", 3)
	if !part.More {
		t.Fatal("Fay's feed fits in 3 changes: the test needs her cursor in the middle")
	}
	staff.put(t, "PUT", "/v1/reactions/"+protocol.NewID(), protocol.PutReaction{TargetID: msg, Kind: "heart"}, 201)
	staff.put(t, "POST", "/v1/seen", protocol.SeenRequest{IDs: []string{msg}}, 200, 204)
	staff.put(t, "PUT", "/v1/messages/"+protocol.NewID(), protocol.PutMessage{To: fpr.Person.ID, Text: "Yes, all of it"}, 201)

	rest, _ := feed(t, base, fay.token, part.Next)
	fayAll, fayEnd := feed(t, base, fay.token, "")
	staffAll, staffEnd := feed(t, base, staff.token, "")
	before := staff.picture(t)
	if len(rest) == 0 || len(before.Audit.Entries) == 0 || len(before.Devices.Devices) != 2 || len(before.Invitations.Invitations) != 1 {
		t.Fatalf("the home is not what the test meant to build: %d changes after the cursor, %+v", len(rest), before)
	}
	stopServer(t, cmd, logs)

	db := pgtest.DB(t)
	setting := blobsSetting(bucket, "homes/maple-grove/")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	code, stdout, stderr := runCmd(t, "migrate", "--data", dir, "--to", db, "--blobs", setting)
	if code != 0 {
		t.Fatalf("migrate: %d %s %s", code, stdout, stderr)
	}
	for _, want := range []string{"Copied 2 photo variants", "people 5,", filepath.Join(dir, datadir.DBFile) + " is kept",
		"no longer used"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("migrate did not say %q:\n%s", want, stdout)
		}
	}
	t.Logf("migrate said:\n%s", stdout)
	if s, err := datadir.ReadSettings(dir); err != nil || s.Database != db || s.Blobs != setting {
		t.Fatalf("settings after migrate: %+v %v", s, err)
	}
	sameRecords(t, dir, db)
	// backup says that the records are in PostgreSQL now, and that facility.db is left over.
	code, _, stderr = runCmd(t, "backup", "--data", dir, "--to", filepath.Join(t.TempDir(), "backup.tar"))
	if code != 1 || !strings.Contains(stderr, "pg_dump") || !strings.Contains(stderr, "before hearth-facility migrate moved it") {
		t.Fatalf("backup after migrate: %d %s", code, stderr)
	}
	// The old places are put aside: what is served next can only come from the new ones.
	for _, name := range []string{datadir.DBFile, datadir.BlobDir} {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, name+"-old")); err != nil {
			t.Fatal(err)
		}
	}

	// Started as before: no --database, no --blobs.
	serve := exec.Command(bin, "serve", "--data", dir, "--addr", addr, "--insecure-http")
	serve.Env = s3Env()
	_, logs = startServeCmd(t, serve, http.DefaultClient, base)
	logs.waitFor(t, "msg=serving", `database="`+db+`"`, `photos="s3://`+photoBucket+"/homes/maple-grove/")

	// Fay's device carries on from its old cursor: exactly what it had not read yet.
	if got, _ := feed(t, base, fay.token, part.Next); !sameChanges(got, rest) {
		t.Fatalf("from the cursor held before the move, the feed gave\n%v\nwant\n%v", got, rest)
	}
	for name, c := range map[string]struct {
		token, end string
		all        []protocol.Change
	}{"Fay": {fay.token, fayEnd, fayAll}, "staff": {staff.token, staffEnd, staffAll}} {
		got, end := feed(t, base, c.token, "")
		if !sameChanges(got, c.all) || end != c.end {
			t.Fatalf("%s's whole feed after the move (%d changes, cursor %s) is not the one before (%d, %s)",
				name, len(got), end, len(c.all), c.end)
		}
		if more, _ := feed(t, base, c.token, c.end); len(more) != 0 {
			t.Fatalf("%s's device, read to the end before the move, got %d changes again: %v", name, len(more), more)
		}
	}
	if after := staff.picture(t); !reflect.DeepEqual(after, before) {
		t.Fatalf("the audit, devices or invitations changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if got := staff.variant(t, sha, "thumb", 400); !bytes.Equal(got, thumb) {
		t.Fatal("the thumb served from the bucket is not the one served before")
	}
	if got := fay.variant(t, sha, "display", 2048); !bytes.Equal(got, display) {
		t.Fatal("the display variant served from the bucket is not the one served before")
	}

	// The invitation made before the move pairs; a new write reaches Fay after her cursor, once.
	if _, status := pair(t, base, gusInv.Code); status != 200 {
		t.Fatalf("Gus's invitation, made before the move: %d", status)
	}
	news := protocol.NewID()
	staff.put(t, "PUT", "/v1/messages/"+news, protocol.PutMessage{To: fpr.Person.ID, Text: "Gus has joined"}, 201)
	got, _ := feed(t, base, fay.token, fayEnd)
	last := fayAll[len(fayAll)-1].Seq
	seen := 0
	for _, c := range got {
		if c.Seq <= last {
			t.Fatalf("after the move Fay got a change again: %+v (her last was %d)", c, last)
		}
		last = c.Seq
		if c.ID == news {
			seen++
		}
	}
	if seen != 1 {
		t.Fatalf("the message written after the move reached Fay %d times: %v", seen, got)
	}
}

// hasTables reports whether the database at addr holds any table.
func hasTables(t *testing.T, addr string) bool {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func pgExec(t *testing.T, addr, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateRefuses attacks what migrate checks before it writes anything: a server that has
// the data directory open, a password in the address, a bucket it cannot use, a database that
// is not empty. Each is refused in words, and nothing changes: the settings, the target
// database and the bucket are as they were. Then --blobs alone moves only the photos.
func TestMigrateRefuses(t *testing.T) {
	bucket := s3test.Start(t, photoBucket)
	photo, err := os.ReadFile("../../facility/testdata/friends-480.jpg")
	if err != nil {
		t.Fatal(err)
	}
	dir, inv := initFacility(t)
	_, circle := addPerson(t, dir, "Rose", "resident")
	f, err := datadir.Open(context.Background(), datadir.Config{DataDir: dir, Insecure: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(f.Handler())
	pr, status := pair(t, ts.URL, inv.Code)
	if status != 200 {
		t.Fatalf("pair: %d", status)
	}
	home{base: ts.URL, token: pr.Token, circle: circle}.share(t, photo)

	db := pgtest.DB(t)
	setting := blobsSetting(bucket, "homes/maple-grove/")
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	refused := func(why string, want []string, args ...string) {
		t.Helper()
		code, stdout, stderr := runCmd(t, append([]string{"migrate", "--data", dir}, args...)...)
		t.Logf("%s: %s", why, stderr)
		if code != 1 || stdout != "" {
			t.Fatalf("%s: migrate went ahead: %d %s %s", why, code, stdout, stderr)
		}
		for _, w := range want {
			if !strings.Contains(stderr, w) {
				t.Fatalf("%s: migrate did not say %q: %s", why, w, stderr)
			}
		}
		if s, err := datadir.ReadSettings(dir); err != nil || s.Database != "" || s.Blobs != "" {
			t.Fatalf("%s: the settings changed: %+v %v", why, s, err)
		}
		if k := bucket.Keys(t, photoBucket, ""); len(k) != 0 {
			t.Fatalf("%s: photos went to the bucket: %v", why, k)
		}
		if !datadir.HasSQLite(dir) {
			t.Fatalf("%s: %s is gone", why, datadir.DBFile)
		}
	}

	// A server has the directory open.
	refused("server running", []string{"is in use: another process holds facility.lock", "stop the server", "nothing was changed"},
		"--to", db, "--blobs", setting)
	if hasTables(t, db) {
		t.Fatal("server running: migrate wrote to the database")
	}
	ts.Close()
	f.Shutdown()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// A server from before the lock holds facility.db open, and no lock: here a process whose
	// standard input is the file.
	db0, err := os.Open(filepath.Join(dir, datadir.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	old := exec.Command("sleep", "60")
	old.Stdin = db0
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	db0.Close()
	refused("old server running", []string{"is in use: process " + itoa(old.Process.Pid) + " has facility.db open", "nothing was changed"},
		"--to", db, "--blobs", setting)
	old.Process.Kill()
	old.Wait()
	// While a migration holds the directory, no server starts on it.
	lock, err := datadir.LockAlone(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--insecure-http")
	if code != 1 || !strings.Contains(stderr, "being moved by hearth-facility migrate") {
		t.Fatalf("serve during a migration: %d %s", code, stderr)
	}
	lock.Release()

	// A password in the address would be written to settings.json.
	refused("password", []string{"PGPASSWORD"}, "--to", "postgres://hearth:s3cret-pw@127.0.0.1:5432/maple", "--blobs", setting)
	if _, _, stderr := runCmd(t, "migrate", "--data", dir, "--to", "postgres://hearth:s3cret-pw@127.0.0.1:5432/maple"); strings.Contains(stderr, "s3cret-pw") {
		t.Fatalf("the refusal repeats the password: %s", stderr)
	}
	// A bucket that is not there, a service that does not answer.
	refused("no bucket", []string{"--blobs: ", `the bucket "no-such-bucket" does not exist`, "nothing was changed"}, "--to", db,
		"--blobs", "s3://no-such-bucket/homes/a/?endpoint="+bucket.Endpoint+"&region="+s3test.Region+"&insecure=1")
	refused("no service", []string{"--blobs: ", "nothing was changed"}, "--to", db,
		"--blobs", "s3://"+photoBucket+"/homes/a/?endpoint="+freeAddr(t)+"&region="+s3test.Region+"&insecure=1")
	if hasTables(t, db) {
		t.Fatal("a refused bucket: migrate wrote to the database")
	}
	// A database that holds something else, or a home already.
	pgExec(t, db, `CREATE TABLE orders (id integer)`)
	refused("foreign table", []string{"not empty", "not Hearth's (orders)", "nothing was changed"}, "--to", db, "--blobs", setting)
	pgExec(t, db, `DROP TABLE orders`)
	if hasTables(t, db) {
		t.Fatal("a database with a table of another program: migrate made tables in it")
	}
	other, _, _ := initPostgres(t)
	if s, _ := datadir.ReadSettings(other); s.Database == "" {
		t.Fatal("initPostgres remembered no database")
	} else {
		refused("another home", []string{"not empty", `the Hearth home "Maple Grove"`}, "--to", s.Database, "--blobs", setting)
	}
	// Nothing to do.
	if code, _, stderr := runCmd(t, "migrate", "--data", dir); code != 2 || !strings.Contains(stderr, "--to") {
		t.Fatalf("migrate without --to or --blobs: %d %s", code, stderr)
	}
	// A prefix that holds another home's photos is refused before anything is copied.
	oakSetting := blobsSetting(bucket, "homes/oak-lodge/")
	oak, _, err := openS3(context.Background(), oakSetting)
	if err != nil {
		t.Fatal(err)
	}
	if err := oak.Claim(context.Background(), protocol.FacilityRef{ID: protocol.NewID(), Name: "Oak Lodge"}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, "migrate", "--data", dir, "--blobs", oakSetting); code != 1 || !strings.Contains(stderr, "Oak Lodge") {
		t.Fatalf("migrate --blobs into another home's prefix: %d %s", code, stderr)
	}
	if k := bucket.Keys(t, photoBucket, "homes/oak-lodge/"); len(k) != 1 {
		t.Fatalf("after the refusal, another home's prefix holds %v", k)
	}
	if s, _ := datadir.ReadSettings(dir); s.Blobs != "" {
		t.Fatalf("settings after a refused migrate --blobs: %+v", s)
	}
	// --blobs alone moves the photos and leaves the records in facility.db.
	code, stdout, stderr := runCmd(t, "migrate", "--data", dir, "--blobs", setting)
	if code != 0 || !strings.Contains(stdout, "Copied 2 photo variants") || strings.Contains(stdout, "records") {
		t.Fatalf("migrate --blobs alone: %d %s %s", code, stdout, stderr)
	}
	if s, _ := datadir.ReadSettings(dir); s.Blobs != setting || s.Database != "" {
		t.Fatalf("settings after migrate --blobs alone: %+v", s)
	}
	// The two variants, and the marker that claims the prefix for this home.
	if k := bucket.Keys(t, photoBucket, "homes/maple-grove/"); len(k) != 3 || !slices.Contains(k, "homes/maple-grove/"+blobs3.MarkerName) {
		t.Fatalf("the bucket holds %v after migrate --blobs", k)
	}
	if code, _, stderr := runCmd(t, "migrate", "--data", dir, "--blobs", setting); code != 1 || !strings.Contains(stderr, "already") {
		t.Fatalf("migrate --blobs twice: %d %s", code, stderr)
	}
}

// TestMigrateRunsAgainAfterAFailure: a column facility.db has and this version does not know is
// refused before anything is copied; a copy that fails half-way (here a row of facility.db that
// PostgreSQL's rules refuse) leaves the target database without records and the home on SQLite;
// once the cause is gone, migrate runs again (records only: the photos stay in the folder) and
// the home is served from PostgreSQL, its unused invitation still good.
func TestMigrateRunsAgainAfterAFailure(t *testing.T) {
	dir, inv := initFacility(t)
	addPerson(t, dir, "Rose", "resident")
	lite, err := sqlitedb.Open(context.Background(), filepath.Join(dir, datadir.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	db := pgtest.DB(t)
	// A column this version does not know would be lost: nothing is copied.
	if _, err := lite.Exec(`ALTER TABLE people ADD COLUMN nickname TEXT`); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "migrate", "--data", dir, "--to", db)
	if code != 1 || !strings.Contains(stderr, "people.nickname, which this version of Hearth does not know how to copy") {
		t.Fatalf("migrate with an unknown column: %d %s %s", code, stdout, stderr)
	}
	if _, err := lite.Exec(`ALTER TABLE people DROP COLUMN nickname`); err != nil {
		t.Fatal(err)
	}
	// A stream row for a change that does not exist: the last table but two of the copy fails.
	if _, err := lite.Exec(`INSERT INTO inbox(person_id, seq) VALUES ('staff', 999999)`); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCmd(t, "migrate", "--data", dir, "--to", db)
	if code != 1 || !strings.Contains(stderr, "copy streams") || !strings.Contains(stderr, "the database was left as it was") {
		t.Fatalf("migrate with a broken row: %d %s %s", code, stdout, stderr)
	}
	if s, _ := datadir.ReadSettings(dir); s.Database != "" {
		t.Fatalf("a failed migrate switched the settings: %+v", s)
	}
	if err := pgstore.CheckEmpty(context.Background(), db); err != nil {
		t.Fatalf("a failed migrate left records in the database: %v", err)
	}
	if _, err := lite.Exec(`DELETE FROM inbox WHERE seq = 999999`); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCmd(t, "migrate", "--data", dir, "--to", db)
	if code != 0 || !strings.Contains(stdout, "people 2,") {
		t.Fatalf("migrate again: %d %s %s", code, stdout, stderr)
	}
	if s, _ := datadir.ReadSettings(dir); s.Database != db || s.Blobs != "" {
		t.Fatalf("settings after migrate --to alone: %+v", s)
	}
	// Served from PostgreSQL now: the invitation made at init pairs there.
	if err := os.Rename(filepath.Join(dir, datadir.DBFile), filepath.Join(dir, datadir.DBFile+"-old")); err != nil {
		t.Fatal(err)
	}
	f, err := openAdmin(context.Background(), dir) // reads the settings, as serve does
	if err != nil {
		t.Fatal(err)
	}
	if f.PG == nil {
		t.Fatal("after migrate --to the home opens on SQLite")
	}
	ts := httptest.NewServer(f.Handler())
	_, status := pair(t, ts.URL, inv.Code)
	ts.Close()
	f.Shutdown()
	f.Close()
	if status != 200 {
		t.Fatalf("the invitation made at init, after the move: %d", status)
	}
	if code, _, stderr := runCmd(t, "migrate", "--data", dir, "--to", db); code != 1 || !strings.Contains(stderr, "already") {
		t.Fatalf("migrate of a home on PostgreSQL: %d %s", code, stderr)
	}
}
