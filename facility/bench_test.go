package facility_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hearth/facility"
	"hearth/facility/datadir"
	"hearth/protocol"
	"hearth/sqlitedb"
)

// benchEnv is a facility on loopback with a resident, a staff member and n family members in
// the resident's circle, each with a paired device; clients share one keep-alive transport.
type benchEnv struct {
	f        *datadir.Facility
	ts       *httptest.Server
	client   *http.Client
	resident *person
	staff    *person
	family   []*person
}

func newBenchEnv(b *testing.B, n int) *benchEnv {
	b.Helper()
	dir := b.TempDir()
	be := openBenchEnv(b, dir, n)
	b.Cleanup(be.close)
	return be
}

// sharedBenchEnvs outlive one call of a benchmark function: the testing package calls it again
// with a larger b.N, and a facility with a million changes is not rebuilt each time.
var (
	sharedBenchEnvs = map[string]*benchEnv{}
	sharedCleanups  []func()
)

func sharedBenchEnv(b *testing.B, key string, n int, build func(*benchEnv) error) *benchEnv {
	if be, ok := sharedBenchEnvs[key]; ok {
		return be
	}
	dir, err := os.MkdirTemp("", "hearth-bench-")
	if err != nil {
		b.Fatal(err)
	}
	be := openBenchEnv(b, dir, n)
	sharedCleanups = append(sharedCleanups, func() { be.close(); os.RemoveAll(dir) })
	if err := build(be); err != nil {
		b.Fatal(err)
	}
	sharedBenchEnvs[key] = be
	return be
}

func (be *benchEnv) close() { be.f.Shutdown(); be.ts.Close(); be.f.Close() }

func openBenchEnv(b *testing.B, dir string, n int) *benchEnv {
	ctx := context.Background()
	if err := datadir.Init(ctx, dir, "Bench Grove"); err != nil {
		b.Fatal(err)
	}
	f, err := datadir.Open(ctx, datadir.Config{DataDir: dir, Insecure: true, PublicHost: "127.0.0.1:1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// For comparisons only: HEARTH_BENCH_SYNCHRONOUS=NORMAL (the server always runs FULL).
		Synchronous: os.Getenv("HEARTH_BENCH_SYNCHRONOUS")})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(f.Handler())
	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, MaxConnsPerHost: 0}
	be := &benchEnv{f: f, ts: ts, client: &http.Client{Transport: tr}}
	mk := func(name, role string) *person {
		resp, err := f.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: role})
		if err != nil {
			b.Fatal(err)
		}
		p := &person{Person: resp.Person}
		if resp.Circle != nil {
			p.circle = resp.Circle.ID
		}
		return p
	}
	be.staff = mk("Staff", protocol.RoleStaff)
	be.pair(b, be.staff, "")
	be.resident = mk("Rose", protocol.RoleResident)
	be.pair(b, be.resident, "")
	for i := 0; i < n; i++ {
		p := mk(fmt.Sprintf("Family %d", i), protocol.RoleFamily)
		be.pair(b, p, be.resident.circle)
		be.family = append(be.family, p)
	}
	return be
}

func (be *benchEnv) pair(b *testing.B, p *person, circle string) {
	inv, err := be.f.Invite(context.Background(), facility.Admin, protocol.CreateInvitation{PersonID: p.ID, CircleID: circle})
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(protocol.PairRequest{Code: inv.Code, DeviceName: "bench"})
	resp, err := be.client.Post(be.ts.URL+"/v1/pair", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var pr protocol.PairResponse
	if err := json.NewDecoder(resp.Body).Decode(&pr); err != nil || resp.StatusCode != 200 {
		b.Fatalf("pair: %d %v", resp.StatusCode, err)
	}
	p.token, p.device = pr.Token, pr.DeviceID
}

func (be *benchEnv) putMessage(from, to *person, text string) error {
	body, _ := json.Marshal(protocol.PutMessage{To: to.ID, Text: text})
	req, _ := http.NewRequest("PUT", be.ts.URL+"/v1/messages/"+protocol.NewID(), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+from.token)
	resp, err := be.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// BenchmarkMessageWrites: 50 concurrent writers over HTTP on loopback, each PUT checked for
// membership (sender and recipient must share a circle), each acknowledged only after its
// transaction is durable (synchronous=FULL).
func BenchmarkMessageWrites(b *testing.B) {
	const writers = 50
	be := newBenchEnv(b, writers)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(p *person) {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := be.putMessage(p, be.resident, "Hello from the benchmark"); err != nil {
					errs <- err
					return
				}
			}
		}(be.family[w])
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
}

// raiseFileLimit lifts the soft open-file limit to the hard one: a thousand long-polls are two
// thousand sockets on loopback.
func raiseFileLimit(b *testing.B) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	if lim.Cur < 4096 {
		b.Fatalf("open-file limit %d is too low for 1,000 long-polls; raise it (ulimit -n 8192)", lim.Cur)
	}
}

// BenchmarkDeliveryLatency: 1,000 devices wait in long-poll (GET /v1/sync?wait=60) while 50
// writers send messages to them over HTTP; a message's latency is from just before its PUT is
// sent to the moment its recipient's long-poll answer is decoded. Each writer sends
// 20 messages a second (1,000 writes/s in all).
func BenchmarkDeliveryLatency(b *testing.B) {
	const (
		waiters   = 1000
		writers   = 50
		circles   = 20
		perWriter = 20 // messages per second
	)
	raiseFileLimit(b)
	ctx := context.Background()
	be := newBenchEnv(b, 0)
	mk := func(name string, circle string) *person {
		resp, err := be.f.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: name, Role: protocol.RoleFamily})
		if err != nil {
			b.Fatal(err)
		}
		p := &person{Person: resp.Person}
		be.pair(b, p, circle)
		return p
	}
	var circleIDs []string
	for c := 0; c < circles; c++ {
		resp, err := be.f.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Resident %d", c), Role: protocol.RoleResident})
		if err != nil {
			b.Fatal(err)
		}
		circleIDs = append(circleIDs, resp.Circle.ID)
	}
	byCircle := make([][]*person, circles)
	for i := 0; i < waiters; i++ {
		p := mk(fmt.Sprintf("Waiter %d", i), circleIDs[i%circles])
		byCircle[i%circles] = append(byCircle[i%circles], p)
	}
	var ws []*person
	for i := 0; i < writers; i++ {
		ws = append(ws, mk(fmt.Sprintf("Writer %d", i), circleIDs[i%circles]))
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		acks      []time.Duration // PUT sent → its answer (the write is durable)
		received  atomic.Int64
	)
	stop := make(chan struct{})
	var wwg sync.WaitGroup
	cursorOf := func(p *person) string { // skip the setup history
		var sr protocol.SyncResponse
		for since := ""; ; {
			sr = be.sync(b, p, since, 0)
			since = sr.Next
			if !sr.More {
				return since
			}
		}
	}
	for c := range byCircle {
		for _, p := range byCircle[c] {
			since := cursorOf(p)
			wwg.Add(1)
			go func(p *person, since string) {
				defer wwg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					sr := be.sync(b, p, since, 60)
					now := time.Now()
					since = sr.Next
					for _, ch := range sr.Changes {
						if ch.Kind != protocol.KindMessage {
							continue
						}
						var m protocol.Message
						json.Unmarshal(ch.Data, &m)
						sent, err := strconv.ParseInt(m.Text, 10, 64)
						if err != nil {
							continue
						}
						mu.Lock()
						latencies = append(latencies, now.Sub(time.Unix(0, sent)))
						mu.Unlock()
						received.Add(1)
					}
				}
			}(p, since)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); be.f.Hub().Waiting() < waiters*9/10; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d persons are waiting", be.f.Hub().Waiting(), waiters)
		}
	}

	b.ResetTimer()
	var sent atomic.Int64
	var wg sync.WaitGroup
	for w, p := range ws {
		wg.Add(1)
		go func(w int, p *person) {
			defer wg.Done()
			// Writers are spread over the period instead of firing in lockstep, like people.
			time.Sleep(time.Duration(w) * time.Second / perWriter / writers)
			tick := time.NewTicker(time.Second / perWriter)
			defer tick.Stop()
			targets := byCircle[w%circles]
			for i := 0; ; i++ {
				if sent.Add(1) > int64(b.N) {
					return
				}
				<-tick.C
				to := targets[(i*7+w)%len(targets)]
				start := time.Now()
				if err := be.putMessage(p, to, strconv.FormatInt(start.UnixNano(), 10)); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				acks = append(acks, time.Since(start))
				mu.Unlock()
			}
		}(w, p)
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for received.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	close(stop)
	be.f.Shutdown() // answers the long-polls
	wwg.Wait()
	if got := received.Load(); got < int64(b.N) {
		b.Fatalf("%d of %d messages delivered", got, b.N)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	b.ReportMetric(float64(acks[len(acks)*99/100].Microseconds())/1000, "write-p99-ms")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

func (be *benchEnv) sync(b *testing.B, p *person, since string, wait int) protocol.SyncResponse {
	url := be.ts.URL + "/v1/sync?limit=1000&wait=" + strconv.Itoa(wait)
	if since != "" {
		url += "&since=" + since
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := be.client.Do(req)
	if err != nil {
		b.Error(err)
		return protocol.SyncResponse{Next: since}
	}
	defer resp.Body.Close()
	var sr protocol.SyncResponse
	if resp.StatusCode != 200 {
		b.Errorf("sync: status %d", resp.StatusCode)
		return protocol.SyncResponse{Next: since}
	}
	if err := json.NewDecoder(resp.Body).Decode(&sr); err != nil {
		b.Error(err)
		return protocol.SyncResponse{Next: since}
	}
	return sr
}

// BenchmarkEmptyPull: a pull with nothing new (GET /v1/sync?since=latest) over HTTP, on a
// facility with 1,000 and with 1,000,000 changes of history. The history is written with direct
// SQL inserts in one transaction; a tenth of it is in the pulling person's own feed.
func BenchmarkEmptyPull(b *testing.B) {
	for _, history := range []int{1000, 1000000} {
		b.Run("history="+strconv.Itoa(history), func(b *testing.B) {
			be := sharedBenchEnv(b, "pull"+strconv.Itoa(history), 1, func(be *benchEnv) error {
				return addHistory(be, be.family[0], history)
			})
			reader := be.family[0]
			since := ""
			for {
				sr := be.sync(b, reader, since, 0)
				since = sr.Next
				if !sr.More {
					break
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sr := be.sync(b, reader, since, 0)
				if len(sr.Changes) != 0 {
					b.Fatal("the pull was not empty")
				}
			}
		})
	}
}

// addHistory inserts n message changes; every tenth is in reader's feed, the others in the feeds
// of 100 other persons.
func addHistory(be *benchEnv, reader *person, n int) error {
	ctx := context.Background()
	db, err := sqlitedb.OpenWith(ctx, be.f.Store.Path(), sqlitedb.Options{Synchronous: "NORMAL"})
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insChange, err := tx.Prepare(`INSERT INTO changes(kind, op, id, data) VALUES ('message', 'put', ?, ?)`)
	if err != nil {
		return err
	}
	insInbox, err := tx.Prepare(`INSERT INTO inbox(person_id, seq) VALUES (?, ?), (?, ?)`)
	if err != nil {
		return err
	}
	others := make([]string, 100)
	for i := range others {
		others[i] = protocol.NewID()
	}
	data := `{"id":"x","from":"a","to":"b","text":"An old message from the history of this facility.","created_at":"2026-01-01T00:00:00Z"}`
	for i := 0; i < n; i++ {
		res, err := insChange.Exec(protocol.NewID(), data)
		if err != nil {
			return err
		}
		seq, _ := res.LastInsertId()
		a, bb := others[i%100], others[(i+1)%100]
		if i%10 == 0 {
			a = reader.ID
		}
		if _, err := insInbox.Exec(a, seq, bb, seq); err != nil {
			return err
		}
	}
	return tx.Commit()
}
