package sqlitestore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// homeShape is a care home with years of history, for BenchmarkNewStaff.
type homeShape struct {
	name      string
	residents int // each with a circle
	family    int // members of each circle besides its resident
	staff     int // staff who were there all along
	days      int // of history
}

var benchHomes = []homeShape{
	{name: "medium", residents: 20, family: 5, staff: 4, days: 3 * 365},
	{name: "large", residents: 100, family: 5, staff: 10, days: 3 * 365},
}

// The history's proportions, per circle and day unless said otherwise. The home is made once
// per shape and kept (see homeFile): change homeVersion when these change.
const (
	homeVersion        = 2    // 2: streams (issue 14)
	postsPerDay        = 0.8  // photo posts, by family (70 %) or staff (30 %)
	reactionChance     = 0.25 // each other member of the circle hearts a post
	postSeenChance     = 0.6  // each other member of the circle marks a post seen
	postDeletedChance  = 0.01
	messagesPerDay     = 1.2  // resident ↔ family mostly, some family ↔ family and staff ↔ family
	messageSeenChance  = 0.9  // the recipient
	messageReactChance = 0.15 // the recipient
	announcementEvery  = 7    // days; audience alternates between everyone and residents
	announcementSeen   = 20   // marks on each announcement (residents mostly)
)

// BenchmarkNewStaff measures what adding one staff person costs in a home with years of history.
// Staff see every circle, so CreatePerson copies every live circle item, reaction and seen mark
// (and every person, circle, membership and announcement) into the new person's inbox in one
// write transaction. Per iteration, on a fresh copy of the home:
//
//   - ns/op and staff-s: the CreatePerson call, wall time, until it is durable;
//   - msg-wait-ms: a family member's message to their resident, sent 20 ms after the staff write
//     starts, from its call to its durable answer (via=server: queued behind it in the server's
//     own writer, as POST /v1/people does; via=cli: the staff is added by a second store on the
//     same file, as `hearth-facility people add` does while the server runs, so the server's
//     writer waits on SQLite's lock, at most busy_timeout = 10 s); msg-failed counts failures;
//   - pull-s and pull-changes: the new staff person's first full pull, Store.Changes in pages of
//     500 (the app's page size) until there is no more, without HTTP and JSON;
//   - wal-MB: the WAL file right after the write; growth-MB: the database file after the store
//     is closed (WAL checkpointed into it) minus before.
//
// Run it with: go test -run '^$' -bench NewStaff -benchtime 1x -count 3 ./facility/sqlitestore/
// With HEARTH_BENCH_COLD=1 (Linux) the copy's pages are dropped from the OS cache before the
// store opens it, as after a restart of the machine.
// The homes are built on first use (about a minute for the large one) and kept in
// $TMPDIR/hearth-newstaff-bench for later runs.
func BenchmarkNewStaff(b *testing.B) {
	for _, h := range benchHomes {
		for _, via := range []string{"server", "cli"} {
			b.Run("home="+h.name+"/via="+via, func(b *testing.B) {
				src := homeFile(b, h)
				b.ResetTimer()
				var staffD, msgD, pullD time.Duration
				var pulled, walMB, growthMB, failed float64
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					r := newStaffOnce(b, src, via)
					staffD += r.staff
					msgD += r.msg
					pullD += r.pull
					pulled += float64(r.changes)
					walMB += r.walMB
					growthMB += r.growthMB
					if r.msgErr != nil {
						failed++
						b.Logf("the family member's message failed after %v: %v", r.msg, r.msgErr)
					}
				}
				n := float64(b.N)
				b.ReportMetric(staffD.Seconds()/n, "staff-s")
				b.ReportMetric(float64(msgD.Milliseconds())/n, "msg-wait-ms")
				b.ReportMetric(failed, "msg-failed")
				b.ReportMetric(pullD.Seconds()/n, "pull-s")
				b.ReportMetric(pulled/n, "pull-changes")
				b.ReportMetric(walMB/n, "wal-MB")
				b.ReportMetric(growthMB/n, "growth-MB")
			})
		}
	}
}

type newStaffResult struct {
	staff, msg, pull time.Duration
	msgErr           error
	changes          int
	walMB, growthMB  float64
}

// newStaffOnce adds a staff person to a fresh copy of the home at src. The benchmark's timer runs
// only around the staff write.
func newStaffOnce(b *testing.B, src, via string) newStaffResult {
	ctx := context.Background()
	var r newStaffResult
	path := filepath.Join(b.TempDir(), "facility.db")
	if err := copyFile(src, path); err != nil {
		b.Fatal(err)
	}
	if os.Getenv("HEARTH_BENCH_COLD") != "" {
		if err := dropCache(path); err != nil {
			b.Fatal(err)
		}
	}
	before := fileSize(path)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	server, err := Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	writer := server
	if via == "cli" {
		if writer, err = Open(ctx, path, Options{Logger: quiet}); err != nil {
			b.Fatal(err)
		}
		defer writer.Close()
	}
	var fam, res string
	if err := server.rdb.QueryRowContext(ctx, `SELECT m.person_id, c.resident_id FROM members m
		JOIN circles c ON c.id = m.circle_id WHERE m.person_id <> c.resident_id LIMIT 1`).Scan(&fam, &res); err != nil {
		b.Fatal(err)
	}
	famActor := facility.Actor{PersonID: fam, Role: protocol.RoleFamily}

	type staffDone struct {
		resp protocol.CreatePersonResponse
		err  error
		at   time.Time
	}
	done := make(chan staffDone, 1)
	b.StartTimer()
	start := time.Now()
	go func() {
		resp, err := writer.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "New Nurse", Role: protocol.RoleStaff})
		done <- staffDone{resp, err, time.Now()}
	}()
	time.Sleep(20 * time.Millisecond)
	msgStart := time.Now()
	_, r.msgErr = server.PutMessage(ctx, famActor, protocol.NewID(), protocol.PutMessage{To: res, Text: "Are you coming on Sunday?"})
	r.msg = time.Since(msgStart)
	d := <-done
	b.StopTimer()
	if d.err != nil {
		b.Fatal(d.err)
	}
	r.staff = d.at.Sub(start)
	r.walMB = float64(fileSize(path+"-wal")) / 1e6

	pullStart := time.Now()
	var after facility.Position
	for {
		page, next, more, err := server.Changes(ctx, d.resp.Person.ID, after, 500)
		if err != nil {
			b.Fatal(err)
		}
		r.changes += len(page)
		after = next
		if !more {
			break
		}
	}
	r.pull = time.Since(pullStart)
	// What the pull must have carried: everything staff see, at least every live circle post.
	var posts int
	if err := server.rdb.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE kind = 'post' AND deleted_at IS NULL`).Scan(&posts); err != nil {
		b.Fatal(err)
	}
	if r.changes <= posts {
		b.Fatalf("the new staff person's first pull carried %d changes, fewer than the %d live posts", r.changes, posts)
	}
	if writer != server {
		writer.Close()
	}
	server.Close()
	r.growthMB = float64(fileSize(path)-before) / 1e6
	return r
}

// homeFile returns the database file of home h, building it when it is not kept yet.
func homeFile(b *testing.B, h homeShape) string {
	dir := filepath.Join(os.TempDir(), "hearth-newstaff-bench")
	path := filepath.Join(dir, fmt.Sprintf("%s-v%d.db", h.name, homeVersion))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	tmp := path + ".building"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	start := time.Now()
	n, err := buildHome(context.Background(), tmp, h)
	if err != nil {
		b.Fatalf("build the %s home: %v", h.name, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built the %s home (%d feed items, %.0f MB) in %v: %s", h.name, n, float64(fileSize(path))/1e6,
		time.Since(start).Round(time.Second), path)
	return path
}

type benchCircle struct {
	id       string
	resident string
	family   []string
}

// buildHome makes the home: people, circles and memberships through the store's own API, then
// the history written by the store's writer with the same tables and fan-out as PutPost,
// PutMessage, PutReaction, MarkSeen and PutAnnouncement, ten days to a transaction. It returns
// the number of feed items (posts, messages, reactions, seen marks, announcements, deletes).
func buildHome(ctx context.Context, path string, h homeShape) (int, error) {
	s, err := Open(ctx, path, Options{Name: "Bench Home", Synchronous: "NORMAL", WatchInterval: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	var staff []string
	for i := 0; i < h.staff; i++ {
		resp, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Nurse %d", i+1), Role: protocol.RoleStaff})
		if err != nil {
			return 0, err
		}
		staff = append(staff, resp.Person.ID)
	}
	relations := []string{"Daughter", "Son", "Grandson", "Granddaughter", "Niece", "Friend"}
	circles := make([]benchCircle, h.residents)
	var residents []string
	for i := range circles {
		resp, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Resident %d", i+1),
			Role: protocol.RoleResident, Room: fmt.Sprint(100 + i)})
		if err != nil {
			return 0, err
		}
		c := benchCircle{id: resp.Circle.ID, resident: resp.Person.ID}
		residents = append(residents, c.resident)
		for j := 0; j < h.family; j++ {
			f, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Family %d.%d", i+1, j+1), Role: protocol.RoleFamily})
			if err != nil {
				return 0, err
			}
			if _, err := s.AddMember(ctx, facility.Admin, c.id, f.Person.ID,
				protocol.AddMember{Relation: relations[j%len(relations)], CanInvite: j == 0}); err != nil {
				return 0, err
			}
			c.family = append(c.family, f.Person.ID)
		}
		circles[i] = c
	}

	g := &historyGen{rng: rand.New(rand.NewPCG(1, uint64(h.residents))), staff: staff, residents: residents}
	start := time.Now().UTC().AddDate(0, 0, -h.days).Truncate(24 * time.Hour)
	for d0 := 0; d0 < h.days; d0 += 10 {
		err := s.write(ctx, func(t *tx) error {
			g.t = t
			for d := d0; d < min(d0+10, h.days); d++ {
				day := start.AddDate(0, 0, d)
				for _, c := range circles {
					if err := g.circleDay(c, day); err != nil {
						return err
					}
				}
				if d%announcementEvery == 0 {
					if err := g.announcement(day, d/announcementEvery%2 == 0); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return g.n, nil
}

// historyGen writes the history inside the writer's transactions.
type historyGen struct {
	t         *tx
	rng       *rand.Rand
	staff     []string
	residents []string
	n         int
}

var captions = []string{"Sunday lunch in the garden", "Painting class", "Happy birthday, Mum!",
	"The grandchildren came to visit", "Music afternoon with the choir", "A walk by the river", "Bingo winner again"}

var texts = []string{"Are you coming on Sunday?", "Thank you for the photos, they made my day.",
	"The doctor says everything looks fine.", "I love you, see you soon", "Did you sleep well?",
	"We will bring the cake at three."}

// at is a time on day: between 8:00 and 21:00.
func (g *historyGen) at(day time.Time) time.Time {
	return day.Add(8*time.Hour + time.Duration(g.rng.Int64N(int64(13*time.Hour)))).Truncate(time.Millisecond)
}

func (g *historyGen) pick(ids []string) string { return ids[g.rng.IntN(len(ids))] }

// count draws how many things happen when rate happen on average.
func (g *historyGen) count(rate float64) int {
	n := int(rate)
	if g.rng.Float64() < rate-float64(n) {
		n++
	}
	return n
}

func (g *historyGen) circleDay(c benchCircle, day time.Time) error {
	members := append([]string{c.resident}, c.family...)
	for range g.count(postsPerDay) {
		author := g.pick(c.family)
		if g.rng.Float64() < 0.3 {
			author = g.pick(g.staff)
		}
		when := g.at(day)
		post := protocol.Post{ID: protocol.NewID(), CircleID: c.id, AuthorID: author, Caption: captions[g.rng.IntN(len(captions))], CreatedAt: when}
		var shas []string
		for range 1 + g.rng.IntN(3) {
			sum := sha256.Sum256([]byte(protocol.NewID()))
			ref := protocol.PhotoRef{SHA256: fmt.Sprintf("%x", sum), Width: 2048, Height: 1536}
			post.Photos = append(post.Photos, ref)
			shas = append(shas, ref.SHA256)
		}
		deleted := g.rng.Float64() < postDeletedChance
		if err := g.item(post.ID, protocol.KindPost, author, "", scope{CircleID: c.id}, post, when, shas, deleted); err != nil {
			return err
		}
		for _, m := range members {
			if m == author {
				continue
			}
			if g.rng.Float64() < reactionChance {
				r := protocol.Reaction{ID: protocol.NewID(), TargetID: post.ID, AuthorID: m, Kind: "heart", CreatedAt: when.Add(time.Hour)}
				if err := g.item(r.ID, protocol.KindReaction, m, post.ID, scope{CircleID: c.id}, r, r.CreatedAt, nil, false); err != nil {
					return err
				}
			}
			if g.rng.Float64() < postSeenChance {
				if err := g.seen(post.ID, m, scope{CircleID: c.id}, when.Add(30*time.Minute)); err != nil {
					return err
				}
			}
		}
		if deleted {
			if err := g.emit(post.ID, protocol.KindPost, protocol.OpDelete, map[string]string{"id": post.ID}, scope{CircleID: c.id}); err != nil {
				return err
			}
		}
	}
	for range g.count(messagesPerDay) {
		from, to := c.resident, g.pick(c.family)
		switch x := g.rng.Float64(); {
		case x < 0.4:
			from, to = to, from
		case x < 0.8:
		case x < 0.9:
			from, to = c.family[0], c.family[1+g.rng.IntN(len(c.family)-1)]
		default:
			from = g.pick(g.staff)
		}
		when := g.at(day)
		m := protocol.Message{ID: protocol.NewID(), From: from, To: to, Text: texts[g.rng.IntN(len(texts))], CreatedAt: when}
		sc := scope{P1: from, P2: to}
		if err := g.item(m.ID, protocol.KindMessage, from, "", sc, m, when, nil, false); err != nil {
			return err
		}
		if g.rng.Float64() < messageSeenChance {
			if err := g.seen(m.ID, to, sc, when.Add(20*time.Minute)); err != nil {
				return err
			}
		}
		if g.rng.Float64() < messageReactChance {
			r := protocol.Reaction{ID: protocol.NewID(), TargetID: m.ID, AuthorID: to, Kind: "heart", CreatedAt: when.Add(time.Hour)}
			if err := g.item(r.ID, protocol.KindReaction, to, m.ID, sc, r, r.CreatedAt, nil, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *historyGen) announcement(day time.Time, everyone bool) error {
	aud := protocol.AudienceResidents
	if everyone {
		aud = protocol.AudienceEveryone
	}
	when := g.at(day)
	author := g.pick(g.staff)
	a := protocol.Announcement{ID: protocol.NewID(), AuthorID: author, Text: "The hairdresser comes on Thursday from ten.", Audience: aud, CreatedAt: when}
	sc := scope{Audience: aud}
	if err := g.item(a.ID, protocol.KindAnnouncement, author, "", sc, a, when, nil, false); err != nil {
		return err
	}
	seen := map[string]bool{}
	for range announcementSeen {
		p := g.pick(g.residents)
		if !seen[p] {
			seen[p] = true
			if err := g.seen(a.ID, p, sc, when.Add(2*time.Hour)); err != nil {
				return err
			}
		}
	}
	return nil
}

// item writes an item as putItem does, with the history's time instead of now.
func (g *historyGen) item(id, kind, author, target string, sc scope, entity any, when time.Time, photos []string, deleted bool) error {
	t := g.t
	data, err := json.Marshal(entity)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	var del any
	if deleted {
		del = when.Add(48 * time.Hour).Format(time.RFC3339Nano)
	}
	if _, err := t.exec(`INSERT INTO items(id, kind, author_id, target_id, circle_id, p1, p2, audience, body_hash, data, created_at, deleted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, kind, author, nullable(target), nullable(sc.CircleID),
		nullable(sc.P1), nullable(sc.P2), nullable(sc.Audience), sum[:], string(data), when.Format(time.RFC3339Nano), del); err != nil {
		return fmt.Errorf("add %s: %w", kind, err)
	}
	for _, p := range photos {
		if _, err := t.exec(`INSERT INTO blobs(sha256, width, height, uploaded_by, created_at) VALUES (?, 2048, 1536, ?, ?)`,
			p, author, when.Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("add blob: %w", err)
		}
		if _, err := t.exec(`INSERT INTO item_photos(sha256, item_id) VALUES (?, ?)`, p, id); err != nil {
			return fmt.Errorf("add photo: %w", err)
		}
	}
	return g.emit(id, kind, protocol.OpPut, data, sc)
}

func (g *historyGen) seen(target, person string, sc scope, at time.Time) error {
	s := protocol.Seen{TargetID: target, PersonID: person, At: at}
	data, _ := json.Marshal(s)
	if _, err := g.t.exec(`INSERT INTO seen(target_id, person_id, at, data) VALUES (?, ?, ?, ?)`,
		target, person, at.Format(time.RFC3339Nano), string(data)); err != nil {
		return fmt.Errorf("mark seen: %w", err)
	}
	return g.emit(protocol.SeenID(target, person), protocol.KindSeen, protocol.OpPut, data, sc)
}

// emit writes a change and its stream rows for scope sc (routes).
func (g *historyGen) emit(id, kind, op string, data any, sc scope) error {
	t := g.t
	raw, ok := data.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			return err
		}
	}
	res, err := t.exec(`INSERT INTO changes(kind, op, id, data) VALUES (?, ?, ?, ?)`, kind, op, id, string(raw))
	if err != nil {
		return fmt.Errorf("write change: %w", err)
	}
	seq, _ := res.LastInsertId()
	g.n++
	to, err := routes(sc)
	if err != nil {
		return err
	}
	for _, k := range to {
		if _, err = t.exec(`INSERT INTO inbox(person_id, seq) VALUES (?, ?)`, k, seq); err != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("write inbox: %w", err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
