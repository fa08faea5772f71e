package hearthsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"hearth/facility"
	"hearth/protocol"
	"hearth/store"
)

// circleFixture is a facility whose resident Rose has 5,000 messages with her daughter Anna and
// 1,000 photos (one per post) in her circle. It is built once per benchmark run, through the
// server's own Store and BlobStore (the photo pipeline is measured by the facility's benchmarks).
type circleFixture struct {
	ts           *testServer
	rose, circle string
}

func newCircleFixture(b testing.TB, messages, photos int) *circleFixture {
	ctx := context.Background()
	ts := newTestServer(b)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	ad := pairDevice(b, ts.invite(anna, circle, "Daughter"))
	acc, _, _ := ad.st.Account(ctx)
	ad.close()
	actor := facility.Actor{DeviceID: acc.DeviceID, PersonID: anna, Role: protocol.RoleFamily}
	srv := ts.server()

	var wg sync.WaitGroup
	work := make(chan int)
	errs := make(chan error, 64)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var err error
				if i < messages {
					to, text := rose, fmt.Sprintf("message %d from Anna", i)
					a := actor
					if i%3 == 0 {
						// Rose's own messages, as her other devices wrote them.
						a, to, text = facility.Actor{PersonID: rose, Role: protocol.RoleResident, DeviceID: acc.DeviceID}, anna, fmt.Sprintf("message %d from Rose", i)
					}
					_, err = srv.Store().PutMessage(ctx, a, protocol.NewID(), protocol.PutMessage{To: to, Text: text})
				} else {
					err = putPhotoPost(ctx, ts, actor, circle, i-messages)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < messages+photos; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return &circleFixture{ts: ts, rose: rose, circle: circle}
}

// putPhotoPost stores a distinct small JPEG as both variants (as the server would have made
// them) and a post holding it.
func putPhotoPost(ctx context.Context, ts *testServer, a facility.Actor, circle string, i int) error {
	data, err := makeJPEG(320, 240, uint8(i))
	if err != nil {
		return err
	}
	// Make the bytes distinct even where the shade repeats: a JPEG comment segment after SOI.
	com := []byte(fmt.Sprintf("\xff\xfe\x00\x10photo %09d", i))
	data = append(append(append([]byte{}, data[:2]...), com...), data[2:]...)
	sha := sha256Hex(data)
	blobs := ts.blobs()
	for _, v := range []string{facility.VariantThumb, facility.VariantDisplay} {
		if err := blobs.Put(ctx, sha, v, data); err != nil {
			return err
		}
	}
	srv := ts.server()
	if _, err := srv.Store().PutBlob(ctx, a, protocol.PhotoRef{SHA256: sha, Width: 320, Height: 240}); err != nil {
		return err
	}
	_, err = srv.Store().PutPost(ctx, a, protocol.NewID(), protocol.PutPost{CircleID: circle, Caption: fmt.Sprint("photo ", i), Photos: []string{sha}})
	return err
}

// BenchmarkInitialSync: a new device of Rose's pairs and syncs everything of her circle (5,000
// messages, 1,000 photo posts) and fetches the 1,000 thumbnails, over TLS on loopback. One op
// is one whole initial sync, from pairing to the last thumbnail in the cache.
func BenchmarkInitialSync(b *testing.B) {
	const messages, photos = 5000, 1000
	fx := fixtures.circle()
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		link := fx.ts.invite(fx.rose, "", "")
		dir := b.TempDir()
		b.StartTimer()
		st, err := store.Open(ctx, dir, quietLog())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Pair(ctx, st, link, "tablet"); err != nil {
			b.Fatal(err)
		}
		eng, err := New(st, Options{Log: quietLog(), PageLimit: protocol.MaxSyncLimit})
		if err != nil {
			b.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { eng.Run(rctx); close(done) }()
		for {
			var n, thumbs int
			st.DB().QueryRow(`SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM post_photos),
				(SELECT count(*) FROM blobs WHERE variant = 'thumb')`).Scan(&n, &thumbs)
			if n == messages+photos && thumbs == photos {
				break
			}
			if debugBench {
				fmt.Println(time.Now().Format("05.000"), n, thumbs)
			}
			time.Sleep(2 * time.Millisecond)
		}
		b.StopTimer()
		cancel()
		<-done
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(messages+photos)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkSendToStoreLatency: Anna's device sends a message; the time until it is committed in
// Rose's store (the moment the store tells the screens), while 1,000 other devices wait in
// long-poll on the same server. Reports p50 and p99 in milliseconds.
func BenchmarkSendToStoreLatency(b *testing.B) {
	fx := fixtures.latency()
	ctx := context.Background()
	ts, rd, ad, rose := fx.ts, fx.rd, fx.ad, fx.rose
	if w := ts.server().Hub().Waiting(); w < 1000 {
		b.Logf("only %d requests waiting in long-poll", w)
	}

	// Commit times in Rose's store, by message id, told by the store's change listener.
	var mu sync.Mutex
	arrivedAt := map[string]time.Time{}
	poke := make(chan struct{}, 1)
	unsub := rd.st.Subscribe(func(c store.Change) {
		if !c.Has(store.ChangeMessage) {
			return
		}
		now := time.Now()
		mu.Lock()
		for _, id := range c.IDs {
			arrivedAt[id] = now
		}
		mu.Unlock()
		select {
		case poke <- struct{}{}:
		default:
		}
	})
	defer unsub()

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		id, err := ad.st.SendMessage(ctx, rose, fmt.Sprint("latency ", i), nil)
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
		for {
			mu.Lock()
			at, ok := arrivedAt[id]
			mu.Unlock()
			if ok {
				lat = append(lat, at.Sub(start))
				break
			}
			select {
			case <-poke:
			case <-deadline:
				b.Fatalf("message %s never arrived", id)
			}
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(ts.server().Hub().Waiting()), "waiting")
}

// latencyFixture is Rose's and Anna's devices on a server where 1,000 other devices (of 1,000
// other people, half of them in Rose's circle) wait in long-poll.
type latencyFixture struct {
	ts     *testServer
	rd, ad *device
	rose   string
}

func newLatencyFixture(b testing.TB) *latencyFixture {
	ctx := context.Background()
	ts := newTestServer(b)
	rose, circle := ts.resident("Rose")
	anna := ts.family("Anna")
	rd := pairDevice(b, ts.invite(rose, "", ""))
	ad := pairDevice(b, ts.invite(anna, circle, "Daughter"))
	waitFor(b, "settled", func() bool { return rd.settled() && ad.settled() })

	// 1,000 other devices (of 1,000 other people, half of them in Rose's circle) in long-poll.
	const others = 1000
	wctx, stopWaiters := context.WithCancel(ctx)
	var waiters sync.WaitGroup
	b.Cleanup(func() { stopWaiters(); waiters.Wait() })
	tr := &http.Transport{TLSClientConfig: protocol.PinnedTLSConfig(ts.pin), MaxIdleConnsPerHost: others + 10, MaxConnsPerHost: 0}
	hc := &http.Client{Transport: tr}
	ready := make(chan struct{}, others)
	// Made 32 at a time: the server's writer batches concurrent requests into one commit.
	sem := make(chan struct{}, 32)
	var setup sync.WaitGroup
	setupErr := make(chan error, others)
	for i := 0; i < others; i++ {
		sem <- struct{}{}
		setup.Add(1)
		go func() {
			defer setup.Done()
			defer func() { <-sem }()
			resp, err := ts.server().CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: fmt.Sprintf("Other %d", i), Role: protocol.RoleFamily})
			if err != nil {
				setupErr <- err
				return
			}
			req := protocol.CreateInvitation{PersonID: resp.Person.ID}
			if i%2 == 0 {
				req.CircleID = circle
			}
			ir, err := ts.server().Invite(ctx, facility.Admin, req)
			if err != nil {
				setupErr <- err
				return
			}
			inv, err := protocol.ParseInvitation(ir.Link)
			if err != nil {
				setupErr <- err
				return
			}
			cl := &client{base: "https://" + inv.Host, hc: hc}
			var pr protocol.PairResponse
			if _, err := cl.doJSON(ctx, http.MethodPost, "/v1/pair", protocol.PairRequest{Code: inv.Code, DeviceName: "other"}, &pr); err != nil {
				setupErr <- err
				return
			}
			cl.token = pr.Token
			waiters.Add(1)
			go func() {
				defer waiters.Done()
				cursor, first := "", true
				for wctx.Err() == nil {
					resp, err := cl.pull(wctx, cursor, 1000, 60*time.Second)
					if err != nil {
						if wctx.Err() == nil {
							time.Sleep(100 * time.Millisecond)
						}
						continue
					}
					cursor = resp.Next
					if first && !resp.More {
						first = false
						ready <- struct{}{}
					}
				}
			}()
		}()
	}
	setup.Wait()
	select {
	case err := <-setupErr:
		b.Fatal(err)
	default:
	}
	for i := 0; i < others; i++ {
		<-ready
	}
	time.Sleep(200 * time.Millisecond) // let the last ones settle into their long-poll

	return &latencyFixture{ts: ts, rd: rd, ad: ad, rose: rose}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

const debugBench = false

// fixtures are built once per test process: the benchmark functions run several times (b.N
// = 1, then more), and building 1,000 devices or 6,000 items each time would dwarf the
// measurement. They live until TestMain ends.
var fixtures = &fixtureSet{}

type fixtureSet struct {
	tb         processTB
	circleOnce sync.Once
	circleFx   *circleFixture
	latOnce    sync.Once
	latFx      *latencyFixture
}

func (f *fixtureSet) circle() *circleFixture {
	f.circleOnce.Do(func() { f.circleFx = newCircleFixture(&f.tb, 5000, 1000) })
	return f.circleFx
}

func (f *fixtureSet) latency() *latencyFixture {
	f.latOnce.Do(func() { f.latFx = newLatencyFixture(&f.tb) })
	return f.latFx
}

func (f *fixtureSet) cleanup() { f.tb.cleanup() }

// processTB is the testing.TB of fixtures that outlive one benchmark run: temporary
// directories under one root, cleanups at the end of the process, failures as panics.
type processTB struct {
	testing.TB
	mu       sync.Mutex
	root     string
	cleanups []func()
}

func (p *processTB) Helper()                           {}
func (p *processTB) Logf(format string, args ...any)   {}
func (p *processTB) Fatal(args ...any)                 { panic(fmt.Sprint(args...)) }
func (p *processTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (p *processTB) Error(args ...any)                 { panic(fmt.Sprint(args...)) }

func (p *processTB) TempDir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.root == "" {
		var err error
		if p.root, err = os.MkdirTemp("", "hearth-sync-bench-"); err != nil {
			panic(err)
		}
	}
	d, err := os.MkdirTemp(p.root, "d")
	if err != nil {
		panic(err)
	}
	return d
}

func (p *processTB) Cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

func (p *processTB) cleanup() {
	p.mu.Lock()
	fns, root := p.cleanups, p.root
	p.cleanups = nil
	p.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
	if root != "" {
		os.RemoveAll(root)
	}
}
