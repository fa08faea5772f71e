package sqlitestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"hearth/facility"
	"hearth/protocol"
	"hearth/sqlitedb"
)

// The home of issue 14: 300 residents, 30 people in each circle (the resident and 29 family),
// 50 staff, and a million changes of history: 800,000 circle posts and 200,000 messages
// between a resident and a member of their circle. The people, circles and memberships are made
// through the store's API; the history is written by direct SQL with the same rows the store
// writes (items, changes, and the feed rows of the schema at hand), because a million requests
// would take hours here. The file is built once per schema into
// $TMPDIR/hearth-feedscale-bench and copied for each run.
const (
	scaleResidents = 300
	scaleFamily    = 29
	scaleStaff     = 50
	scalePosts     = 800_000
	scaleMessages  = 200_000
	scaleVersion   = 1
)

// BenchmarkFeedScale measures, on that home:
//   - EmptyPull/staff, EmptyPull/family: Store.Changes from the latest position (nothing new);
//   - Pull/staff, Pull/family: a page of 200 of the newest changes the person sees;
//   - FirstPage/new-staff: the first page (500) of a staff person added to the home;
//   - NewStaff: CreatePerson for a staff person, until durable;
//   - CirclePost: a family member's post in their circle, until durable.
//
// Run it with: go test -run '^$' -bench FeedScale -benchtime 200x ./facility/sqlitestore/
func BenchmarkFeedScale(b *testing.B) {
	ctx := context.Background()
	src := scaleHomeFile(b)
	path := filepath.Join(b.TempDir(), "facility.db")
	if err := copyFile(src, path); err != nil {
		b.Fatal(err)
	}
	s, err := Open(ctx, path, Options{WatchInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var staff, family, circle string
	if err := s.rdb.QueryRowContext(ctx, `SELECT id FROM people WHERE role = 'staff' ORDER BY id LIMIT 1`).Scan(&staff); err != nil {
		b.Fatal(err)
	}
	if err := s.rdb.QueryRowContext(ctx, `SELECT m.person_id, m.circle_id FROM members m JOIN people p ON p.id = m.person_id
		WHERE p.role = 'family' ORDER BY m.person_id LIMIT 1`).Scan(&family, &circle); err != nil {
		b.Fatal(err)
	}
	var maxSeq int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT MAX(seq) FROM changes`).Scan(&maxSeq); err != nil {
		b.Fatal(err)
	}
	pull := func(b *testing.B, person string, at facility.Position, limit, want int) {
		for i := 0; i < b.N; i++ {
			page, _, _, err := s.Changes(ctx, person, at, limit)
			if err != nil {
				b.Fatal(err)
			}
			if want >= 0 && len(page) != want {
				b.Fatalf("%d changes, want %d", len(page), want)
			}
		}
	}
	b.Run("EmptyPull/staff", func(b *testing.B) {
		at := facility.Position{Seq: maxSeq}
		b.ResetTimer()
		pull(b, staff, at, 200, 0)
	})
	b.Run("EmptyPull/family", func(b *testing.B) {
		at := facility.Position{Seq: maxSeq}
		b.ResetTimer()
		pull(b, family, at, 200, 0)
	})
	b.Run("Pull/staff", func(b *testing.B) {
		at := facility.Position{Seq: maxSeq - 2000} // the newest 2,000 changes: 1,600 posts
		b.ResetTimer()
		pull(b, staff, at, 200, 200)
	})
	b.Run("Pull/family", func(b *testing.B) {
		// A family member sees one circle's posts (1 in 300) and their messages: from 300,000
		// changes back, about 800 of theirs.
		at := facility.Position{Seq: maxSeq - 300_000}
		b.ResetTimer()
		pull(b, family, at, 200, 200)
	})
	b.Run("FirstPage/new-staff", func(b *testing.B) {
		p, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: "First Page", Role: protocol.RoleStaff})
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		pull(b, p.Person.ID, facility.Position{}, 500, 500)
	})
	b.Run("NewStaff", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprint("Nurse ", i), Role: protocol.RoleStaff}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CirclePost", func(b *testing.B) {
		a := facility.Actor{PersonID: family, Role: protocol.RoleFamily}
		for i := 0; i < b.N; i++ {
			if _, err := s.PutPost(ctx, a, protocol.NewID(), protocol.PutPost{CircleID: circle, Caption: "Bench", Photos: []string{}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// scaleHomeFile returns the cached home for this code's schema, building it when missing.
func scaleHomeFile(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "hearth-feedscale-bench")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	schema := "fanout"
	if streamsSchema() {
		schema = "streams"
	}
	path := filepath.Join(dir, fmt.Sprintf("home-v%d-%s.db", scaleVersion, schema))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("building the home (%s) into %s: minutes", schema, path)
	tmp := path + ".tmp"
	os.Remove(tmp)
	if err := buildScaleHome(context.Background(), tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// streamsSchema reports whether this code's migrations have the feed's streams (subs).
func streamsSchema() bool {
	_, err := Migrations().Open("0011_streams.sql")
	return err == nil
}

func buildScaleHome(ctx context.Context, path string) error {
	s, err := Open(ctx, path, Options{Name: "Scale Home", Synchronous: "NORMAL", WatchInterval: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	for i := 0; i < scaleStaff; i++ {
		if _, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Nurse %d", i+1), Role: protocol.RoleStaff}); err != nil {
			return err
		}
	}
	for i := 0; i < scaleResidents; i++ {
		r, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Resident %d", i+1), Role: protocol.RoleResident})
		if err != nil {
			return err
		}
		for j := 0; j < scaleFamily; j++ {
			f, err := s.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Family %d.%d", i+1, j+1), Role: protocol.RoleFamily})
			if err != nil {
				return err
			}
			if _, err := s.AddMember(ctx, facility.Admin, r.Circle.ID, f.Person.ID, protocol.AddMember{Relation: "Family"}); err != nil {
				return err
			}
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	db, err := sqlitedb.OpenWith(ctx, path, sqlitedb.Options{Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	feed := []string{
		// posts by the circle's first family member; messages between them and the resident
		`INSERT INTO items(id, kind, author_id, circle_id, p1, p2, body_hash, data, created_at)
			SELECT g.id, g.kind, c.fam, CASE g.kind WHEN 'post' THEN c.circle_id END,
				CASE g.kind WHEN 'message' THEN c.fam END, CASE g.kind WHEN 'message' THEN c.resident END, x'00',
				CASE g.kind WHEN 'post' THEN json_object('id', g.id, 'circle_id', c.circle_id, 'author_id', c.fam,
					'caption', 'Sunday lunch in the garden', 'photos', json('[]'), 'created_at', '2026-01-01T10:00:00.000Z')
				ELSE json_object('id', g.id, 'from', c.fam, 'to', c.resident, 'text', 'Are you coming on Sunday?',
					'created_at', '2026-01-01T10:00:00.000Z') END, '2026-01-01T10:00:00.000Z'
			FROM gen g JOIN circ c ON c.k = g.i % ` + fmt.Sprint(scaleResidents) + ` ORDER BY g.i`,
		`INSERT INTO changes(seq, kind, op, id, data) SELECT (SELECT b FROM base) + g.i, g.kind, 'put', g.id, it.data
			FROM gen g JOIN items it ON it.id = g.id ORDER BY g.i`,
	}
	if streamsSchema() {
		feed = append(feed,
			`INSERT INTO inbox(person_id, seq) SELECT 'c:' || c.circle_id, (SELECT b FROM base) + g.i
				FROM gen g JOIN circ c ON c.k = g.i % `+fmt.Sprint(scaleResidents)+` WHERE g.kind = 'post'`,
			`INSERT INTO inbox(person_id, seq) SELECT 'staff', (SELECT b FROM base) + g.i FROM gen g WHERE g.kind = 'post'`)
	} else {
		feed = append(feed,
			`INSERT INTO inbox(person_id, seq) SELECT m.person_id, (SELECT b FROM base) + g.i
				FROM gen g JOIN circ c ON c.k = g.i % `+fmt.Sprint(scaleResidents)+` JOIN members m ON m.circle_id = c.circle_id
				WHERE g.kind = 'post'`,
			`INSERT INTO inbox(person_id, seq) SELECT p.id, (SELECT b FROM base) + g.i FROM gen g, people p
				WHERE g.kind = 'post' AND p.role = 'staff'`)
	}
	feed = append(feed,
		`INSERT INTO inbox(person_id, seq) SELECT c.fam, (SELECT b FROM base) + g.i
			FROM gen g JOIN circ c ON c.k = g.i % `+fmt.Sprint(scaleResidents)+` WHERE g.kind = 'message'`,
		`INSERT INTO inbox(person_id, seq) SELECT c.resident, (SELECT b FROM base) + g.i
			FROM gen g JOIN circ c ON c.k = g.i % `+fmt.Sprint(scaleResidents)+` WHERE g.kind = 'message'`)
	steps := append([]string{
		`PRAGMA synchronous = OFF`,
		`PRAGMA cache_size = -524288`,
		`CREATE TEMP TABLE circ AS SELECT row_number() OVER (ORDER BY c.id) - 1 AS k, c.id AS circle_id, c.resident_id AS resident,
			(SELECT m.person_id FROM members m WHERE m.circle_id = c.id AND m.person_id <> c.resident_id ORDER BY m.person_id LIMIT 1) AS fam
			FROM circles c`,
		`CREATE INDEX temp.circ_k ON circ(k)`,
		// every fifth change a message
		`CREATE TEMP TABLE gen AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ` + fmt.Sprint(scalePosts+scaleMessages) + `)
			SELECT i, printf('0190c7c2-7a54-7bd2-8c1e-%012x', i) AS id, CASE WHEN i % 5 = 0 THEN 'message' ELSE 'post' END AS kind FROM n`,
		`CREATE TEMP TABLE base AS SELECT COALESCE(MAX(seq), 0) AS b FROM changes`,
		`BEGIN`,
	}, feed...)
	steps = append(steps, `COMMIT`, `DROP TABLE temp.gen`, `PRAGMA wal_checkpoint(TRUNCATE)`)
	for _, q := range steps {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM changes`).Scan(&n); err != nil {
		return err
	}
	if n < scalePosts+scaleMessages {
		return errors.New("the history is short")
	}
	return nil
}
