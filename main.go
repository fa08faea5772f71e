// Command hearth is the Hearth app: the large-type screens a resident, their
// family and the care home's staff use. With -demo it runs a live demo care
// home on this computer and opens the app as one of its people.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"hearth/app"
	"hearth/assets"
	"hearth/content"
	"hearth/demo"
	"hearth/fynecache"
	"hearth/invitecard"
	"hearth/store"
	hearthsync "hearth/sync"
)

func main() {
	var (
		dataDir  = flag.String("data", "", "folder for the app's local copy (default: Hearth's folder in your settings)")
		pairLink = flag.String("pair", "", "pair this device with an invitation link (hearth://...)")
		textSize = flag.String("text-size", "", "start with this text size: Large, Larger or Largest")
		idle     = flag.Duration("idle", 3*time.Minute, "become a photo frame after this long without a touch (0: never)")
		demoRole = flag.String("demo", "", "run a live demo care home on this computer and open the app as its resident, family or staff")
		every    = flag.Duration("demo-every", time.Minute, "in the demo, how often someone in the circle sends something new")
		caption  = flag.String("demo-caption", "", "in the demo, one more new photo arrives with this caption (to try a long one)")
		others   = flag.Int("demo-residents", 0, "in the demo, how many more residents the home has besides Margaret (try 120)")
	)
	flag.Parse()
	// A soft limit on the Go heap: a tablet app showing one photo at a time
	// needs little, and without it the heap grows to twice what it holds
	// before collecting. GOMEMLIMIT, when set, still wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
	level := slog.LevelInfo
	if os.Getenv("HEARTH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	if *demoRole != "" {
		// The demo keeps nothing: the app's local copy lives in the demo's
		// folder, which Close removes (or the next demo, after a crash).
		d, err := demo.Start(ctx, demo.Options{Role: *demoRole, Photos: assets.Demo, Every: *every, Log: log, Caption: *caption,
			Residents: *others})
		if err != nil {
			fmt.Fprintln(os.Stderr, "hearth:", err)
			os.Exit(1)
		}
		defer d.Close()
		*dataDir, *pairLink = d.AppDir, d.Link
	}
	if err := run(ctx, log, *dataDir, *pairLink, *textSize, *idle); err != nil {
		fmt.Fprintln(os.Stderr, "hearth:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, dataDir, link, textSize string, idle time.Duration) error {
	a := fyneapp.NewWithID("org.hearth.app")
	a.SetIcon(assets.Icon)
	if textSize != "" {
		a.Preferences().SetString("textSize", app.ParseTextSize(textSize).String())
	}
	// Until the first frame, the fonts load, the store opens and the window
	// is made side by side, and the Go heap is not collected: what start-up
	// allocates mostly stays. The memory limit above still applies.
	gcPercent := debug.SetGCPercent(-1)
	textReady := app.PrepareText(a)
	if dataDir == "" {
		dataDir = filepath.Join(a.Storage().RootURI().Path(), "local")
	}
	type opened struct {
		st   *store.Store
		home *app.HomeData // what home says, read before anything can change the store
		err  error
	}
	storeReady := make(chan opened, 1)
	go func() {
		st, err := store.Open(ctx, dataDir, log)
		var home *app.HomeData
		if err == nil && link == "" {
			home = app.ReadHome(ctx, st)
		}
		storeReady <- opened{st, home, err}
	}()
	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	o := <-storeReady
	if o.err != nil {
		return fmt.Errorf("open the local copy in %s: %w", dataDir, o.err)
	}
	st := o.st
	defer st.Close()

	if link != "" {
		if _, err := hearthsync.Pair(ctx, st, link, deviceName()); err != nil {
			return fmt.Errorf("pair: %w", err)
		}
	}
	acc, paired, err := st.Account(ctx)
	if err != nil {
		return fmt.Errorf("read account: %w", err)
	}
	newEngine := func() (*hearthsync.Engine, error) {
		eng, err := hearthsync.New(st, hearthsync.Options{Log: log})
		if err != nil {
			return nil, fmt.Errorf("start sync: %w", err)
		}
		return eng, nil
	}
	runEngine := func(eng *hearthsync.Engine) {
		go func() {
			if err := eng.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("sync stopped", "err", err)
			}
		}()
	}
	// A paired device's engine is made now, so an account it cannot use stops
	// start-up; it runs once the first frame is on screen.
	var eng *hearthsync.Engine
	if paired {
		if eng, err = newEngine(); err != nil {
			return err
		}
	}
	// Once the first frame is on screen: sync starts, the heap is collected as
	// usual again, and what start-up left unused goes back to the system (it
	// would otherwise stay in the app's memory, ~10 MB).
	a.Lifecycle().SetOnStarted(func() {
		fynecache.Tick() // the first frame comes now: what it draws is stamped with now
		// Fyne keeps unused text textures a minute; a few seconds keep memory
		// flat however fast the album is paged. Only now: until the first frame
		// Fyne's clock stands still, and a short lifetime would let the first
		// frame's clean-up forget the window built during a slow start.
		// FYNE_CACHE, when set, still wins.
		if os.Getenv("FYNE_CACHE") == "" {
			if err := fynecache.SetLifetime(5 * time.Second); err != nil {
				log.Warn("keeping Fyne's default cache lifetime", "err", err)
			}
		}
		debug.SetGCPercent(gcPercent)
		go debug.FreeOSMemory()
		if eng != nil {
			runEngine(eng)
		}
	})
	// pair is the first-run screen's way to connect; its errors are sentences for people.
	pair := func(ctx context.Context, linkOrAddress, code string) (string, string, error) {
		var acc store.Account
		var err error
		if code != "" {
			acc, err = hearthsync.PairWithCode(ctx, st, linkOrAddress, code, deviceName())
		} else {
			acc, err = hearthsync.Pair(ctx, st, linkOrAddress, deviceName())
		}
		if err != nil {
			log.Warn("pairing failed", "err", err)
			var pe *hearthsync.PairError
			if errors.As(err, &pe) {
				return "", "", errors.New(pe.Message)
			}
			return "", "", errors.New("This device could not be connected. Please ask the staff.")
		}
		eng, err := newEngine()
		if err == nil {
			runEngine(eng)
		}
		return acc.Role, acc.FacilityName, err
	}

	// Staff tools talk to the server directly; made when the home screen is staff's.
	var staff *hearthsync.Staff
	defer func() {
		if staff != nil {
			staff.Close()
		}
	}()
	newStaff := func() (app.StaffActions, error) {
		var err error
		staff, err = hearthsync.NewStaff(st, invitecard.Fonts{Regular: assets.FontRegular.Content(), Bold: assets.FontBold.Content()})
		if err != nil {
			return nil, fmt.Errorf("staff tools: %w", err)
		}
		return staff, nil
	}
	opts := app.Options{HomeName: acc.FacilityName, Role: acc.Role, IdleAfter: idle, Log: log, Paired: paired,
		Pair: pair, NewStaff: newStaff, Home: o.home,
		InviteOwnDevice: func(ctx context.Context) (content.Invitation, error) { return hearthsync.InviteOwnDevice(ctx, st) },
		AcceptOffer:     func(ctx context.Context, circleID string) error { return hearthsync.AcceptOffer(ctx, st, circleID) }}

	<-textReady
	// What the window shows is made now: stamp it with now, not with the
	// program's start, which may be long ago (the demo's set-up).
	fynecache.Tick()
	app.New(a, w, st, opts).Start(ctx)
	// ctx ends on SIGINT and SIGTERM, on which Fyne ends its loop too. The
	// quit that comes second can find the loop ended, and Fyne then runs it on
	// this goroutine: the driver's Quit (what Fyne's own is) only ends the
	// loop, harmless there; the app's also tore the window down beside the
	// main goroutine's shutdown.
	go func() {
		<-ctx.Done()
		fyne.Do(a.Driver().Quit)
	}()
	log.Info("hearth started", "data", dataDir, "paired", paired)
	w.ShowAndRun()
	return nil
}

// deviceName is how staff see this device in their list.
func deviceName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return "Hearth on " + h
	}
	return "Hearth app"
}
