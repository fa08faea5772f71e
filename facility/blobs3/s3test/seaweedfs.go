package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// WeedEnv names the environment variable holding the path of SeaweedFS's weed binary; make
// test builds it (scripts/seaweedfs.sh) and sets it. When it is set, Start runs the real service.
const WeedEnv = "HEARTH_WEED"

// seaweed is a real SeaweedFS, its master, volume server, filer and S3 gateway in one weed
// server process, on free ports of 127.0.0.1 with its data in a temporary folder.
type seaweed struct {
	endpoint string // the S3 gateway, HOST:PORT
	client   *minio.Client
	log      string // its log file
}

// weedReady bounds the wait for a new SeaweedFS to take its first object (about 10 s: it waits
// on purpose before a new cluster allocates its first volumes).
const weedReady = 90 * time.Second

// The SeaweedFS shared by a test binary: started by the first Start, stopped by Main. Each
// Start makes its buckets and empties and removes them when its test ends.
var shared struct {
	sync.Mutex
	w    *seaweed
	dir  string
	stop func()
	err  error
}

// Main runs the tests of a package with m, stops the shared SeaweedFS if one was started, and
// exits: a package whose tests call Start calls it (or Stop) from TestMain. Without it SeaweedFS
// ends with the test binary but its temporary folder stays.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the shared SeaweedFS, if one was started, and removes its folder.
func Stop() {
	shared.Lock()
	defer shared.Unlock()
	if shared.stop != nil {
		shared.stop()
		shared.stop = nil
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
		shared.dir = ""
	}
	shared.w = nil
}

// sharedSeaweed returns the test binary's SeaweedFS, starting it on first use.
func sharedSeaweed(t testing.TB, bin string) *seaweed {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.w == nil && shared.err == nil {
		shared.err = startSeaweed(bin)
	}
	if shared.err != nil {
		t.Fatalf("s3test: %v", shared.err)
	}
	return shared.w
}

// startSeaweed starts the shared SeaweedFS (under shared's lock), trying other ports when one
// was taken meanwhile by another process.
func startSeaweed(bin string) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s=%s: %v; build it with scripts/seaweedfs.sh (make test does)", WeedEnv, bin, err)
	}
	dir, err := os.MkdirTemp("", "s3test-seaweedfs-")
	if err != nil {
		return err
	}
	shared.dir = dir
	config := filepath.Join(dir, "s3.json")
	identities := fmt.Sprintf(`{"identities":[{"name":"hearth","credentials":[{"accessKey":%q,"secretKey":%q}],`+
		`"actions":["Admin","Read","Write","List","Tagging"]}]}`, AccessKey, SecretKey)
	if err := os.WriteFile(config, []byte(identities), 0o600); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		err = runSeaweed(bin, dir, config)
		if err == nil || attempt == 3 {
			return err
		}
	}
}

// runSeaweed starts weed server on free ports and waits until its S3 gateway stores an object.
func runSeaweed(bin, dir, config string) error {
	ports, err := freePorts(8)
	if err != nil {
		return err
	}
	p := func(i int) string { return strconv.Itoa(ports[i]) }
	logPath := filepath.Join(dir, fmt.Sprintf("weed-%d.log", ports[0]))
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "server", "-dir="+filepath.Join(dir, "data"), "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+p(0), "-master.port.grpc="+p(1), "-volume.port="+p(2), "-volume.port.grpc="+p(3),
		"-filer", "-filer.port="+p(4), "-filer.port.grpc="+p(5), "-s3", "-s3.port="+p(6), "-s3.port.grpc="+p(7),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config="+config,
		"-master.volumeSizeLimitMB=64", "-volume.max=64",
		// A single master need not wait the default 10 s for an election.
		"-master.electionTimeout=600ms")
	cmd.Stdout, cmd.Stderr = logf, logf
	// Should the test binary die without stopping it, SeaweedFS goes with it: the signal comes
	// when the thread that started it ends, so it is started from a thread that never ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread lives as long as the process
		started <- cmd.Start()
		select {}
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	// Its data is thrown away with the folder: no need to wait for a graceful stop (15 s and more).
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	w := &seaweed{endpoint: "127.0.0.1:" + p(6), log: logPath}
	w.client, err = minio.New(w.endpoint, &minio.Options{Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), Region: Region})
	if err != nil {
		stop()
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), weedReady)
	defer cancel()
	go func() {
		select {
		case <-exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := w.waitReady(ctx); err != nil {
		stop()
		return fmt.Errorf("SeaweedFS did not start: %w; its log ends:\n%s", err, w.logTail())
	}
	shared.w, shared.stop = w, stop
	return nil
}

// waitReady makes a bucket of its own and stores and removes an object in it, again until it
// works: the gateway answers before the volume server has joined the master.
func (w *seaweed) waitReady(ctx context.Context) error {
	const probe = "s3test-ready"
	backoff := 20 * time.Millisecond
	var err error
	for {
		err = w.makeBucket(ctx, probe)
		if err == nil {
			_, err = w.client.PutObject(ctx, probe, "probe", bytes.NewReader([]byte("ok")), 2, minio.PutObjectOptions{})
		}
		if err == nil {
			return w.client.RemoveObject(ctx, probe, "probe", minio.RemoveObjectOptions{})
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("SeaweedFS at %s did not store an object within %s: %v", w.endpoint, weedReady, err)
		case <-time.After(backoff):
			backoff = min(2*backoff, 500*time.Millisecond)
		}
	}
}

func (w *seaweed) makeBucket(ctx context.Context, bucket string) error {
	err := w.client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: Region})
	if err != nil {
		if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
			return nil
		}
	}
	return err
}

// removeBucket empties bucket and removes it, so that the next test's starts empty.
func (w *seaweed) removeBucket(ctx context.Context, bucket string) error {
	objects := w.client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true})
	for e := range w.client.RemoveObjects(ctx, bucket, objects, minio.RemoveObjectsOptions{}) {
		if e.Err != nil {
			return fmt.Errorf("empty bucket %s: %s: %w", bucket, e.ObjectName, e.Err)
		}
	}
	if err := w.client.RemoveBucket(ctx, bucket); err != nil {
		return fmt.Errorf("remove bucket %s: %w", bucket, err)
	}
	return nil
}

func (w *seaweed) keys(ctx context.Context, bucket, prefix string) ([]string, error) {
	var keys []string
	for obj := range w.client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, obj.Err
		}
		keys = append(keys, obj.Key)
	}
	return keys, nil
}

func (w *seaweed) get(ctx context.Context, bucket, key string) ([]byte, error) {
	obj, err := w.client.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return nil, errors.New("s3test: no object " + bucket + "/" + key)
	}
	return b, err
}

// freePorts asks the kernel for n free ports of 127.0.0.1, all held until each is known.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// logTail is the end of SeaweedFS's log, for a failed test.
func (w *seaweed) logTail() string {
	b, _ := os.ReadFile(w.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return strings.TrimSpace(string(b))
}
