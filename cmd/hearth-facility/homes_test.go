package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hearth/facility/blobs3"
	"hearth/facility/blobs3/s3test"
	"hearth/facility/datadir"
	"hearth/facility/pgtest"
	"hearth/protocol"
)

// groupHome is one home of a group: its own data folder, database on the shared PostgreSQL
// cluster and prefix in the shared bucket, served by its own real hearth-facility process.
type groupHome struct {
	name, dir, db, prefix, base string
	staff, family               home // devices: the first staff account, a daughter in the resident's circle
	resident, daughter, circle  string
	son                         string
	post, message, sha          string
	unused                      string // an invitation code no one has redeemed
	// secrets are strings only this home may hold or show: ids, names, the photo's hash, the
	// devices' tokens.
	secrets []string
}

// startGroupHome makes a home on the cluster and the bucket as an administrator would (init,
// people add, invite), serves it, pairs a staff device and a family device, and has them post a
// photo and a message.
func startGroupHome(t *testing.T, bin string, photos *s3test.Server, name, prefix, resident, daughter, photoFile string) *groupHome {
	t.Helper()
	h := &groupHome{name: name, db: pgtest.DB(t), prefix: prefix, dir: filepath.Join(t.TempDir(), "data")}
	code, stdout, stderr := runCmd(t, "init", "--data", h.dir, "--name", name, "--public-host", "care.example:8443",
		"--database", h.db)
	if code != 0 {
		t.Fatalf("init %s: %d %s", name, code, stderr)
	}
	staffInv, err := protocol.ParseInvitation(lastLine(stdout))
	if err != nil {
		t.Fatal(err)
	}
	h.resident, h.circle = addPerson(t, h.dir, resident, "resident")
	h.daughter, _ = addPerson(t, h.dir, daughter, "family")
	// The unused invitation is for a son with no device yet (a code for someone who has paired
	// since it was made no longer works at all).
	son := "Tom " + resident[strings.LastIndex(resident, " ")+1:]
	h.son, _ = addPerson(t, h.dir, son, "family")
	invite := func(person, relation string) string {
		code, stdout, stderr := runCmd(t, "invite", "--data", h.dir, "--person", person, "--circle", h.circle,
			"--relation", relation)
		if code != 0 {
			t.Fatalf("invite at %s: %d %s", name, code, stderr)
		}
		inv, err := protocol.ParseInvitation(lastLine(stdout))
		if err != nil {
			t.Fatal(err)
		}
		return inv.Code
	}
	familyCode := invite(h.daughter, "Daughter")
	h.unused = invite(h.son, "Son")

	addr := freeAddr(t)
	h.base = "http://" + addr
	cmd := exec.Command(bin, "serve", "--data", h.dir, "--addr", addr, "--insecure-http", "--blobs", blobsSetting(photos, prefix))
	cmd.Env = s3Env()
	_, logs := startServeCmd(t, cmd, http.DefaultClient, h.base)
	logs.waitFor(t, "msg=serving", `database="`+h.db+`"`, `photos="s3://`+photoBucket+"/"+prefix)
	staff, status := pair(t, h.base, staffInv.Code)
	if status != 200 {
		t.Fatalf("pair staff at %s: %d", name, status)
	}
	family, status := pair(t, h.base, familyCode)
	if status != 200 {
		t.Fatalf("pair family at %s: %d", name, status)
	}
	h.staff = home{base: h.base, token: staff.Token, circle: h.circle}
	h.family = home{base: h.base, token: family.Token, circle: h.circle}

	data, err := os.ReadFile(photoFile)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	h.sha = hex.EncodeToString(sum[:])
	if status, b, _ := h.staff.do(t, "PUT", "/v1/blobs/"+h.sha, data); status != 201 && status != 200 {
		t.Fatalf("upload at %s: %d %s", name, status, b)
	}
	h.post = protocol.NewID()
	body, _ := json.Marshal(protocol.PutPost{CircleID: h.circle, Caption: "In the garden at " + name, Photos: []string{h.sha}})
	if status, b, _ := h.staff.do(t, "PUT", "/v1/posts/"+h.post, body); status != 201 {
		t.Fatalf("post at %s: %d %s", name, status, b)
	}
	h.staff.variant(t, h.sha, "thumb", 400)
	h.message = protocol.NewID()
	if status := putMessage(t, h.base, family.Token, h.resident, h.message); status != 201 {
		t.Fatalf("message at %s: %d", name, status)
	}
	settings, err := datadir.ReadSettings(h.dir)
	if err != nil || !protocol.ValidID(settings.Home) {
		t.Fatalf("settings.json of %s records no home id: %+v %v", name, settings, err)
	}
	h.secrets = []string{settings.Home, name, resident, daughter, son, h.son, h.resident, h.daughter, h.circle,
		staff.Person.ID, staff.DeviceID, family.DeviceID, staff.Token, family.Token, h.post, h.message, h.sha,
		"In the garden at " + name}
	return h
}

// feedBodies reads the device's whole feed and returns it as the server sent it.
func feedBodies(t *testing.T, h home) []byte {
	t.Helper()
	var all []byte
	for since := ""; ; {
		status, b, _ := h.do(t, "GET", "/v1/sync?limit=1000&since="+since, nil)
		if status != 200 {
			t.Fatalf("sync: %d %s", status, b)
		}
		all = append(all, b...)
		var sr protocol.SyncResponse
		if err := json.Unmarshal(b, &sr); err != nil {
			t.Fatal(err)
		}
		if since = sr.Next; !sr.More {
			return all
		}
	}
}

// shows returns the strings of secrets that occur in b.
func shows(b []byte, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

// rowsHolding counts, table by table, the rows of the database that hold s anywhere (the whole
// row as text), over every table of the database.
func rowsHolding(t *testing.T, db string, s string) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 10 {
		t.Fatalf("tables of %s: %q %v", db, tables, err)
	}
	counts := map[string]int{}
	for _, table := range tables {
		var n int
		// bytea columns (token hashes) print as hex, so a token's hash is found too.
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+table+` t WHERE strpos(t::text, $1) > 0`, s).Scan(&n); err != nil {
			t.Fatalf("count in %s: %v", table, err)
		}
		if n > 0 {
			counts[table] = n
		}
	}
	return counts
}

// tokenHash is how a database keeps a device token, as the rows print it.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TestHomesApartOnOneClusterAndBucket runs two homes as a group is deployed: one PostgreSQL
// cluster with a database per home, one bucket with a prefix per home, a real hearth-facility
// process per home. Each home has residents, a family member, a circle, devices, a photo and a
// message. Then the test attacks the walls between them: tokens, invitation codes and photo
// hashes of one home used at the other, the feeds, the bucket's keys, every row of both
// databases, deleting a post and copying photos at one home.
func TestHomesApartOnOneClusterAndBucket(t *testing.T) {
	bin := buildBinary(t)
	photos := s3test.Start(t, photoBucket)
	maple := startGroupHome(t, bin, photos, "Maple Grove", "homes/maple-grove/", "Rose Abbott", "Anna Abbott",
		"../../facility/testdata/bridge-640.jpg")
	oak := startGroupHome(t, bin, photos, "Oak Lodge", "homes/oak-lodge/", "Walter Birch", "Beth Birch",
		"../../facility/testdata/friends-480.jpg")
	if maple.sha == oak.sha {
		t.Fatal("the homes' photos must differ for the test to tell them apart")
	}
	homes := []*groupHome{maple, oak}
	other := map[*groupHome]*groupHome{maple: oak, oak: maple}

	for _, h := range homes {
		o := other[h]
		// A device of one home is a stranger at the other, whoever it is.
		for _, dev := range []home{h.staff, h.family} {
			stranger := home{base: o.base, token: dev.token, circle: o.circle}
			for _, req := range []struct{ method, path string }{
				{"GET", "/v1/sync?since="},
				{"GET", "/v1/blobs/" + h.sha + "?variant=thumb"},
				{"GET", "/v1/blobs/" + o.sha + "?variant=thumb"},
				{"PUT", "/v1/messages/" + protocol.NewID()},
			} {
				var body []byte
				if req.method == "PUT" {
					body = []byte(`{"to":"` + o.resident + `","text":"hello"}`)
				}
				status, b, _ := stranger.do(t, req.method, req.path, body)
				if status != 401 {
					t.Errorf("a device of %s at %s: %s %s: %d %s", h.name, o.name, req.method, req.path, status, b)
				}
				if found := shows(b, append(o.secrets, h.secrets...)); len(found) > 0 {
					t.Errorf("the refusal at %s of %s's device shows %q", o.name, h.name, found)
				}
			}
		}
		// An invitation of one home does not pair at the other, and is still good at its own.
		if pr, status := pair(t, o.base, h.unused); status == 200 || pr.Token != "" {
			t.Errorf("%s's invitation paired at %s: %d", h.name, o.name, status)
		}
		// A photo of one home is not found at the other, exactly as a photo no one has (no oracle).
		for _, v := range []string{"thumb", "display"} {
			status, b, _ := o.staff.do(t, "GET", "/v1/blobs/"+h.sha+"?variant="+v, nil)
			never := strings.Repeat("ab", 32)
			nStatus, nb, _ := o.staff.do(t, "GET", "/v1/blobs/"+never+"?variant="+v, nil)
			if status != 404 || nStatus != 404 || !bytes.Equal(b, bytes.ReplaceAll(nb, []byte(never), []byte(h.sha))) {
				t.Errorf("%s's %s at %s: %d %s; a photo no one has: %d %s", h.name, v, o.name, status, b, nStatus, nb)
			}
		}
		// The other home's feeds hold nothing of this one; they do hold their own.
		for _, dev := range []home{o.staff, o.family} {
			feed := feedBodies(t, dev)
			if found := shows(feed, h.secrets); len(found) > 0 {
				t.Errorf("a feed at %s shows %q of %s", o.name, found, h.name)
			}
			if !bytes.Contains(feed, []byte(o.post)) || !bytes.Contains(feed, []byte(o.sha)) {
				t.Errorf("a feed at %s lacks its own post and photo", o.name)
			}
			if dev == o.family && !bytes.Contains(feed, []byte(o.message)) {
				t.Errorf("the family's feed at %s lacks the message it sent", o.name)
			}
		}
		// The other home's database holds no row with anything of this one (the tokens are
		// kept hashed: their hashes are looked for); its own rows are found the same way.
		for _, s := range append(h.secrets, tokenHash(h.staff.token), tokenHash(h.family.token)) {
			if rows := rowsHolding(t, o.db, s); len(rows) > 0 {
				t.Errorf("the database of %s holds %q of %s in %v", o.name, s, h.name, rows)
			}
		}
		for _, s := range []string{h.post, h.resident, tokenHash(h.family.token)} {
			if rows := rowsHolding(t, h.db, s); len(rows) == 0 {
				t.Errorf("the database of %s does not hold its own %q: the search finds nothing", h.name, s)
			}
		}
	}
	// The invitations refused at the other home still pair at their own.
	for _, h := range homes {
		if _, status := pair(t, h.base, h.unused); status != 200 {
			t.Errorf("%s's invitation, refused at %s, no longer pairs at %s: %d", h.name, other[h].name, h.name, status)
		}
	}

	// Every key in the bucket is under the prefix of the home that wrote it: the marker and
	// the two variants of its photo.
	for _, h := range homes {
		want := []string{h.prefix + blobs3.MarkerName, h.prefix + h.sha[:2] + "/" + h.sha + "-display.jpg",
			h.prefix + h.sha[:2] + "/" + h.sha + "-thumb.jpg"}
		slices.Sort(want)
		if got := photos.Keys(t, photoBucket, h.prefix); !slices.Equal(got, want) {
			t.Errorf("under %s: %q, want %q", h.prefix, got, want)
		}
	}
	if all := photos.Keys(t, photoBucket, ""); len(all) != 6 {
		t.Errorf("the bucket holds keys outside the homes' prefixes: %q", all)
	}

	// Deleting Maple Grove's post, and copying its photos (none are left in its folder) into
	// its prefix, leave Oak Lodge's keys and photo as they were.
	oakKeys := photos.Keys(t, photoBucket, oak.prefix)
	oakThumb := oak.staff.variant(t, oak.sha, "thumb", 400)
	if status, b, _ := maple.staff.do(t, "DELETE", "/v1/items/"+maple.post, nil); status != 200 && status != 204 {
		t.Fatalf("delete the post at Maple Grove: %d %s", status, b)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)
	code, stdout, stderr := runCmd(t, "photos", "copy", "--data", maple.dir, "--blobs", blobsSetting(photos, maple.prefix))
	if code != 0 || !strings.Contains(stdout, "Copied 0 photo variants") {
		t.Fatalf("photos copy at Maple Grove: %d %s %s", code, stdout, stderr)
	}
	// Maple Grove's photos copy pointed at Oak Lodge's prefix is refused before it sends anything.
	code, _, stderr = runCmd(t, "photos", "copy", "--data", maple.dir, "--blobs", blobsSetting(photos, oak.prefix))
	if code == 0 || !strings.Contains(stderr, `holds the photos of the home "Oak Lodge"`) {
		t.Fatalf("photos copy from Maple Grove into Oak Lodge's prefix: %d %s", code, stderr)
	}
	// backup of a home on PostgreSQL writes nothing and says to use pg_dump; pg_dump of one home's
	// database is that home alone.
	code, _, stderr = runCmd(t, "backup", "--data", maple.dir, "--to", filepath.Join(t.TempDir(), "maple.tar"))
	if code == 0 || !strings.Contains(stderr, "pg_dump") {
		t.Fatalf("backup at Maple Grove: %d %s", code, stderr)
	}
	dump, err := exec.Command(filepath.Join(pgtest.BinDir, "pg_dump"), "--dbname", maple.db).Output()
	if err != nil {
		t.Fatalf("pg_dump of Maple Grove's database: %v", err)
	}
	if found := shows(dump, oak.secrets); len(found) > 0 || !bytes.Contains(dump, []byte(maple.resident)) {
		t.Errorf("pg_dump of Maple Grove's database shows %q of Oak Lodge (and Maple Grove's resident: %v)",
			found, bytes.Contains(dump, []byte(maple.resident)))
	}
	if got := photos.Keys(t, photoBucket, oak.prefix); !slices.Equal(got, oakKeys) {
		t.Errorf("Oak Lodge's keys changed when Maple Grove deleted and copied: %q, were %q", got, oakKeys)
	}
	if got := oak.staff.variant(t, oak.sha, "thumb", 400); !bytes.Equal(got, oakThumb) {
		t.Error("Oak Lodge's photo changed when Maple Grove deleted and copied")
	}
	if found := shows(feedBodies(t, oak.family), maple.secrets); len(found) > 0 {
		t.Errorf("after Maple Grove's deletion Oak Lodge's feed shows %q", found)
	}
}

// serveRefused runs serve in-process, expecting it to refuse before serving; a serve that
// starts instead is stopped after a while and reported.
func serveRefused(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	if code := run(ctx, append([]string{"serve", "--insecure-http", "--addr", "127.0.0.1:0"}, args...), &out, &errb); code == 0 {
		t.Fatalf("serve %q was not refused:\n%s", args, errb.String())
	}
	return errb.String()
}

// tableRows counts the rows of every table of a database: what a refused start must not change.
func tableRows(t *testing.T, db string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, table := range tables {
		var n int
		var sum string
		if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM `+table+` t`).Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&sb, "%s %d %s\n", table, n, sum)
	}
	return sb.String()
}

// TestHomesRefuseSharedDatabaseOrPrefix: a home configured with another home's database, an
// empty database, another home's prefix, or a prefix inside or around another home's is refused
// at start with a message that names the other home, and nothing changes: not the settings, not
// the databases, not the bucket.
func TestHomesRefuseSharedDatabaseOrPrefix(t *testing.T) {
	bin := buildBinary(t)
	photos := s3test.Start(t, photoBucket)
	maple := startGroupHome(t, bin, photos, "Maple Grove", "homes/maple-grove/", "Rose Abbott", "Anna Abbott",
		"../../facility/testdata/bridge-640.jpg")
	// Oak Lodge is made on the same cluster but not started yet.
	oakDB := pgtest.DB(t)
	oakDir := filepath.Join(t.TempDir(), "oak")
	if code, _, stderr := runCmd(t, "init", "--data", oakDir, "--name", "Oak Lodge", "--public-host", "oak.example:8443",
		"--database", oakDB); code != 0 {
		t.Fatalf("init Oak Lodge: %d %s", code, stderr)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", s3test.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s3test.SecretKey)

	settingsFile := filepath.Join(oakDir, datadir.SettingsFile)
	oakSettings, err := os.ReadFile(settingsFile)
	if err != nil {
		t.Fatal(err)
	}
	mapleRows, oakRows := tableRows(t, maple.db), tableRows(t, oakDB)
	keys := photos.Keys(t, photoBucket, "")
	emptyDB := pgtest.DB(t)
	unchanged := func(what string) {
		t.Helper()
		if b, _ := os.ReadFile(settingsFile); !bytes.Equal(b, oakSettings) {
			t.Errorf("%s: Oak Lodge's settings.json changed:\n%s\nwas\n%s", what, b, oakSettings)
		}
		if got := tableRows(t, maple.db); got != mapleRows {
			t.Errorf("%s: Maple Grove's database changed", what)
		}
		if got := tableRows(t, oakDB); got != oakRows {
			t.Errorf("%s: Oak Lodge's database changed", what)
		}
		if got := tableRows(t, emptyDB); got != "" {
			t.Errorf("%s: the empty database has tables now:\n%s", what, got)
		}
		if got := photos.Keys(t, photoBucket, ""); !slices.Equal(got, keys) {
			t.Errorf("%s: the bucket changed: %q, was %q", what, got, keys)
		}
	}

	// A second init on Maple Grove's database is refused.
	if code, _, stderr := runCmd(t, "init", "--data", filepath.Join(t.TempDir(), "elm"), "--name", "Elm House",
		"--database", maple.db); code == 0 || !strings.Contains(stderr, "already holds a facility") {
		t.Errorf("init on Maple Grove's database: %d %s", code, stderr)
	}
	unchanged("init on Maple Grove's database")

	// Oak Lodge started on Maple Grove's database, or on an empty one.
	if stderr := serveRefused(t, "--data", oakDir, "--database", maple.db); !strings.Contains(stderr,
		`holds the home "Maple Grove"`) || !strings.Contains(stderr, "each home needs its own database") {
		t.Errorf("Oak Lodge on Maple Grove's database: %s", stderr)
	}
	unchanged("Oak Lodge on Maple Grove's database")
	if stderr := serveRefused(t, "--data", oakDir, "--database", emptyDB); !strings.Contains(stderr, "holds no home") {
		t.Errorf("Oak Lodge on an empty database: %s", stderr)
	}
	unchanged("Oak Lodge on an empty database")
	// Admin commands are refused the same way: settings.json pointed at Maple Grove's database.
	var s datadir.Settings
	json.Unmarshal(oakSettings, &s)
	s.Database = maple.db
	if err := datadir.WriteSettings(oakDir, s); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, "people", "add", "--data", oakDir, "--name", "Walter Birch", "--role", "resident"); code == 0 ||
		!strings.Contains(stderr, `holds the home "Maple Grove"`) {
		t.Errorf("people add at Oak Lodge on Maple Grove's database: %d %s", code, stderr)
	}
	if err := os.WriteFile(settingsFile, oakSettings, 0o600); err != nil {
		t.Fatal(err)
	}
	unchanged("people add at Oak Lodge on Maple Grove's database")

	// Oak Lodge's photos in Maple Grove's prefix, inside it, around it, at the bucket's root.
	for prefix, want := range map[string]string{
		"homes/maple-grove/":   `s3://` + photoBucket + `/homes/maple-grove/ holds the photos of the home "Maple Grove"`,
		"homes/maple-grove":    `s3://` + photoBucket + `/homes/maple-grove/ holds the photos of the home "Maple Grove"`,
		"homes/maple-grove/x/": `s3://` + photoBucket + `/homes/maple-grove/x/ lies inside s3://` + photoBucket + `/homes/maple-grove/, where the photos of the home "Maple Grove"`,
		"homes/":               `s3://` + photoBucket + `/homes/ holds s3://` + photoBucket + `/homes/maple-grove/, where the photos of the home "Maple Grove"`,
		"":                     `s3://` + photoBucket + `/ holds s3://` + photoBucket + `/homes/maple-grove/, where the photos of the home "Maple Grove"`,
	} {
		if stderr := serveRefused(t, "--data", oakDir, "--blobs", blobsSetting(photos, prefix)); !strings.Contains(stderr, want) ||
			!strings.Contains(stderr, "prefix of its own") {
			t.Errorf("Oak Lodge with --blobs prefix %q: %s", prefix, stderr)
		}
		unchanged("Oak Lodge with the prefix " + prefix)
		code, _, stderr := runCmd(t, "photos", "copy", "--data", oakDir, "--blobs", blobsSetting(photos, prefix))
		if code == 0 || !strings.Contains(stderr, want) {
			t.Errorf("photos copy from Oak Lodge into %q: %d %s", prefix, code, stderr)
		}
		unchanged("photos copy from Oak Lodge into " + prefix)
	}

	// With its own database and prefix Oak Lodge starts; then a prefix inside Oak Lodge's is
	// refused too. Its settings.json is made as old ones are, without the home's id: the first
	// start records the database's.
	var old datadir.Settings
	json.Unmarshal(oakSettings, &old)
	oakID := old.Home
	old.Home = ""
	if err := datadir.WriteSettings(oakDir, old); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--data", oakDir, "--addr", addr, "--insecure-http", "--blobs",
		blobsSetting(photos, "homes/oak-lodge/"))
	cmd.Env = s3Env()
	_, logs := startServeCmd(t, cmd, http.DefaultClient, "http://"+addr)
	logs.waitFor(t, "msg=serving", `database="`+oakDB+`"`)
	if got, err := datadir.ReadSettings(oakDir); err != nil || got.Home != oakID {
		t.Errorf("the first start did not record Oak Lodge's id %s: %+v %v", oakID, got, err)
	}
	if stderr := serveRefused(t, "--data", maple.dir, "--blobs", blobsSetting(photos, "homes/oak-lodge/maple/")); !strings.Contains(stderr,
		`where the photos of the home "Oak Lodge"`) {
		t.Errorf("Maple Grove inside Oak Lodge's prefix: %s", stderr)
	}
	if got := photos.Keys(t, photoBucket, "homes/oak-lodge/"); !slices.Equal(got, []string{"homes/oak-lodge/" + blobs3.MarkerName}) {
		t.Errorf("Oak Lodge's prefix holds %q", got)
	}
	if b, err := photos.Get(photoBucket, "homes/oak-lodge/"+blobs3.MarkerName); err != nil || !bytes.Contains(b, []byte(`"name":"Oak Lodge"`)) {
		t.Errorf("Oak Lodge's marker: %s %v", b, err)
	}
}
