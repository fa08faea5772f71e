// Command ceiling is the least a server can do for the load generator's Hearth workload
// (../shared/tools/loadgen -target hearth): it speaks the same requests and answers the feed
// with changes of the same shape and size as Hearth's, but checks nothing beyond a token, keeps
// no circles, people or audit, and answers every read from memory. It is not Hearth and nothing
// ships or tests with it: it measures what this machine and the load generator allow at all, so
// that a target the real server misses can be told apart from one that no server could meet
// here (docs/benchmarks.md, issue 14, item 8).
//
// Without -database it keeps nothing on disk. With -database it commits each post as one
// statement (the feed's counter, the change, and a NOTIFY) before answering, as a server that
// never loses an acknowledged write must at the least; two of them on one database relay each
// other's commits (LISTEN, then one read of what is new), and sign a token in from the database
// once, then from memory. With -checks a post first makes that many reads by key in one round
// trip (as Hearth's checks, without their meaning), then writes an item row beside its change;
// with -batch the posts that arrive together share one transaction: what sharing a commit
// would save Hearth on PostgreSQL.
//
//	ceiling -addr 127.0.0.1:18450 [-database postgres://… [-checks 7] [-batch 64]] [-gzip=false] [-hold 10ms] [-linger 2ms]
package main

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18450", "loopback `HOST:PORT` to listen on")
	database := flag.String("database", "", "PostgreSQL `URL` to commit every post to (else memory only)")
	zip := flag.Bool("gzip", true, "gzip answers from 12 KiB, as Hearth does")
	checks := flag.Int("checks", 0, "with -database: reads by key each post makes first, in one round trip, as Hearth's checks (then the post is a transaction of two round trips, with an item row)")
	batch := flag.Int("batch", 0, "with -database: commit up to this many posts arriving together in one transaction (0: each alone)")
	hold := flag.Duration("hold", 0, "how long a post waits before it is stored, as a slower server's would (without its CPU)")
	linger := flag.Duration("linger", 0, "how long a woken long-poll waits for more changes before it answers (fewer, larger answers)")
	flag.Parse()
	s := &server{tokens: map[string]string{}, wake: make(chan struct{}), pending: map[int][]byte{}, zip: *zip, hold: *hold, linger: *linger,
		checks: *checks, batch: *batch}
	if *database != "" {
		if err := s.open(context.Background(), *database); err != nil {
			fmt.Fprintln(os.Stderr, "ceiling:", err)
			os.Exit(1)
		}
	}
	fmt.Println("hearth://" + *addr + "/STAFF")
	if err := http.ListenAndServe(*addr, s.routes()); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

type server struct {
	db     *pgxpool.Pool // nil: memory only
	checks int
	batch  int
	queue  chan *pending // posts waiting for a batch (with -batch)
	zip    bool
	hold   time.Duration
	linger time.Duration

	mu      sync.Mutex
	tokens  map[string]string // token -> person id
	changes [][]byte          // the feed: changes[i] has position i+1
	pending map[int][]byte    // committed past a gap, waiting for the positions before them
	wake    chan struct{}     // closed and replaced when the feed grows
}

const schema = `
CREATE TABLE IF NOT EXISTS ceiling_head (pos bigint NOT NULL);
INSERT INTO ceiling_head SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM ceiling_head);
CREATE TABLE IF NOT EXISTS ceiling_changes (pos bigint PRIMARY KEY, id text NOT NULL, data text NOT NULL);
CREATE TABLE IF NOT EXISTS ceiling_tokens (token text PRIMARY KEY, person text NOT NULL);
CREATE TABLE IF NOT EXISTS ceiling_items (id text PRIMARY KEY, data text NOT NULL);
CREATE TABLE IF NOT EXISTS ceiling_lookup (id int PRIMARY KEY, a text NOT NULL, b int NOT NULL);
INSERT INTO ceiling_lookup SELECT i, md5(i::text), i FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING;`

func (s *server) open(ctx context.Context, url string) error {
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	if _, err := db.Exec(ctx, `SELECT pg_advisory_lock(7); `+schema+` SELECT pg_advisory_unlock(7)`); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	s.db = db
	if s.batch > 0 {
		s.queue = make(chan *pending, 1024)
		for range db.Config().MaxConns {
			go s.batcher(ctx)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN ceiling"); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	go s.relay(ctx, conn)
	return nil
}

// relay adds what other servers commit: a notification names a position; if it is past what
// this server has, one read brings everything new.
func (s *server) relay(ctx context.Context, conn *pgx.Conn) {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ceiling: relay:", err)
			os.Exit(1)
		}
		pos, _ := strconv.Atoi(n.Payload)
		s.mu.Lock()
		have := len(s.changes)
		s.mu.Unlock()
		if pos <= have {
			continue
		}
		rows, _ := conn.Query(ctx, `SELECT pos, id, data FROM ceiling_changes WHERE pos > $1 ORDER BY pos`, have)
		var p int
		var id, data string
		_, err = pgx.ForEachRow(rows, []any{&p, &id, &data}, func() error {
			s.add(p, change(p, id, data))
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "ceiling: relay read:", err)
			os.Exit(1)
		}
	}
}

func change(pos int, id, data string) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"kind":"post","op":"put","id":%q,"data":%s}`, pos, id, data)
}

// add puts the change at pos into the feed once every position before it is there: the
// counter's row lock makes commits follow positions, but their answers may come back in any order.
func (s *server) add(pos int, c []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos <= len(s.changes) {
		return
	}
	s.pending[pos] = c
	had := len(s.changes)
	for c, ok := s.pending[len(s.changes)+1]; ok; c, ok = s.pending[len(s.changes)+1] {
		delete(s.pending, len(s.changes)+1)
		s.changes = append(s.changes, c)
	}
	if len(s.changes) > had {
		s.grew()
	}
}

// grew wakes every waiting long-poll: the feed has more. The caller holds mu.
func (s *server) grew() {
	close(s.wake)
	s.wake = make(chan struct{})
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *server) routes() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /v1/pair", func(w http.ResponseWriter, r *http.Request) {
		tok, id := newID(), newID()
		if s.db != nil {
			if _, err := s.db.Exec(r.Context(), `INSERT INTO ceiling_tokens VALUES ($1, $2)`, tok, id); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		s.mu.Lock()
		s.tokens[tok] = id
		s.mu.Unlock()
		answer(w, map[string]any{"token": tok, "person": map[string]string{"id": id}})
	})
	m.HandleFunc("POST /v1/people", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.person(r); !ok {
			http.Error(w, "{}", 401)
			return
		}
		answer(w, map[string]any{"person": map[string]string{"id": newID()}, "circle": map[string]string{"id": newID()}})
	})
	m.HandleFunc("POST /v1/invitations", func(w http.ResponseWriter, r *http.Request) {
		answer(w, map[string]string{"link": "hearth://" + r.Host + "/" + newID()})
	})
	m.HandleFunc("PUT /v1/blobs/{sha}", func(w http.ResponseWriter, r *http.Request) {
		answer(w, map[string]string{})
	})
	m.HandleFunc("PUT /v1/posts/{id}", s.post)
	m.HandleFunc("GET /v1/sync", s.sync)
	m.HandleFunc("GET /v1/info", func(w http.ResponseWriter, r *http.Request) { answer(w, map[string]string{}) })
	return m
}

// person signs a token in: from memory, or once from the database when another server paired it.
func (s *server) person(r *http.Request) (string, bool) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	id, ok := s.tokens[tok]
	s.mu.Unlock()
	if ok || s.db == nil {
		return id, ok
	}
	if err := s.db.QueryRow(r.Context(), `SELECT person FROM ceiling_tokens WHERE token = $1`, tok).Scan(&id); err != nil {
		return "", false
	}
	s.mu.Lock()
	s.tokens[tok] = id
	s.mu.Unlock()
	return id, true
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

type photo struct {
	SHA256 string `json:"sha256"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// post stores the change Hearth's feed would carry: a post's ids, caption and photo.
func (s *server) post(w http.ResponseWriter, r *http.Request) {
	author, ok := s.person(r)
	if !ok {
		http.Error(w, "{}", 401)
		return
	}
	var in struct {
		CircleID string   `json:"circle_id"`
		Caption  string   `json:"caption"`
		Photos   []string `json:"photos"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, "{}", 400)
		return
	}
	if s.hold > 0 {
		time.Sleep(s.hold)
	}
	id := r.PathValue("id")
	ps := make([]photo, len(in.Photos))
	for i, p := range in.Photos {
		ps[i] = photo{p, 64, 48}
	}
	data, _ := json.Marshal(map[string]any{"id": id, "circle_id": in.CircleID, "author_id": author,
		"caption": in.Caption, "photos": ps, "created_at": time.Now().UTC()})
	var pos int
	if s.db != nil {
		var err error
		pos, err = s.commit(r.Context(), id, string(data))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s.add(pos, change(pos, id, string(data)))
	} else {
		s.mu.Lock()
		pos = len(s.changes) + 1
		s.changes = append(s.changes, change(pos, id, string(data)))
		s.grew()
		s.mu.Unlock()
	}
	answer(w, map[string]any{"seq": pos})
}

// sync answers the changes after since, waiting up to wait seconds for one.
func (s *server) sync(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.person(r); !ok {
		http.Error(w, "{}", 401)
		return
	}
	q := r.URL.Query()
	since, _ := strconv.Atoi(q.Get("since"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	wait, _ := strconv.Atoi(q.Get("wait"))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(wait)*time.Second)
	defer cancel()
	var page [][]byte
	for {
		s.mu.Lock()
		since = min(since, len(s.changes))
		page = s.changes[since:min(len(s.changes), since+limit)]
		wake := s.wake
		s.mu.Unlock()
		if len(page) > 0 || wait == 0 {
			break
		}
		select {
		case <-wake:
			if s.linger > 0 {
				time.Sleep(s.linger)
			}
			continue
		case <-ctx.Done():
		}
		break
	}
	b := []byte(`{"changes":[`)
	for i, c := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, c...)
	}
	b = append(b, `],"next":"`...)
	b = strconv.AppendInt(b, int64(since+len(page)), 10)
	b = append(b, `","more":false}`...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if !s.zip || len(b) < 12<<10 || !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Write(b)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	zw := zippers.Get().(*gzip.Writer)
	zw.Reset(w)
	zw.Write(b)
	zw.Close()
	zippers.Put(zw)
}

var zippers = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}
