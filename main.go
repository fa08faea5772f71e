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
	"hearth/demo"
	"hearth/invitecard"
	"hearth/store"
	hearthsync "hearth/sync"
)

// textCacheEnv is how long Fyne keeps what it drew for text no longer shown.
// Its default, a minute, holds a texture for every caption paged past in that
// minute; a few seconds keep memory flat however fast the album is paged.
// Fyne reads it while it initialises, before main runs, so a launcher that did
// not set it gets it by the app starting itself again once.
const textCacheEnv = "FYNE_CACHE=5s"

func main() {
	// Set at all, even empty, means the launcher decided (and after the one
	// restart it is always set, so this cannot loop).
	if _, set := os.LookupEnv("FYNE_CACHE"); !set {
		if self, err := os.Executable(); err == nil {
			// Exec replaces this process (same pid); it returns only on failure,
			// and then the app runs with Fyne's default.
			_ = syscall.Exec(self, os.Args, append(os.Environ(), textCacheEnv))
		}
	}
	var (
		dataDir  = flag.String("data", "", "folder for the app's local copy (default: Hearth's folder in your settings)")
		pairLink = flag.String("pair", "", "pair this device with an invitation link (hearth://...)")
		textSize = flag.String("text-size", "", "start with this text size: Large, Larger or Largest")
		idle     = flag.Duration("idle", 3*time.Minute, "become a photo frame after this long without a touch (0: never)")
		demoRole = flag.String("demo", "", "run a live demo care home on this computer and open the app as its resident, family or staff")
		every    = flag.Duration("demo-every", time.Minute, "in the demo, how often someone in the circle sends something new")
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
		d, err := demo.Start(ctx, demo.Options{Role: *demoRole, Photos: assets.Demo, Every: *every, Log: log})
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

	if dataDir == "" {
		dataDir = filepath.Join(a.Storage().RootURI().Path(), "local")
	}
	st, err := store.Open(ctx, dataDir, log)
	if err != nil {
		return fmt.Errorf("open the local copy in %s: %w", dataDir, err)
	}
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
	startSync := func() error {
		eng, err := hearthsync.New(st, hearthsync.Options{Log: log})
		if err != nil {
			return fmt.Errorf("start sync: %w", err)
		}
		go func() {
			if err := eng.Run(ctx); err != nil && ctx.Err() == nil {
				log.Error("sync stopped", "err", err)
			}
		}()
		return nil
	}
	if paired {
		if err := startSync(); err != nil {
			return err
		}
	}
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
		return acc.Role, acc.FacilityName, startSync()
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
		Pair: pair, NewStaff: newStaff}

	w := a.NewWindow("Hearth")
	w.Resize(fyne.NewSize(1280, 800))
	app.New(a, w, st, opts).Start(ctx)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
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
