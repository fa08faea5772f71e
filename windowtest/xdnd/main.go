//go:build windowtest

// Command xdnd drops files on an X window the way a file manager does, for
// the window test: it owns XdndSelection, sends XdndEnter offering
// text/uri-list, XdndPosition at a point of the screen, waits for the
// target's XdndStatus, sends XdndDrop, answers the target's SelectionRequest
// with the files' file:// URIs and waits for XdndFinished.
//
//	xdnd -x 640 -y 400 [-timeout 20s] FILE...
//
// The target is the window under the point that says it takes drops
// (XdndAware), as a file manager finds it. DISPLAY says which X server.
// It exits 0 once the target said it took the drop, and with a sentence
// saying which step failed otherwise.
package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>

static int pending(Display *d) { return XPending(d); }

// clientMessage sends a 32-bit ClientMessage of type to window w.
static void clientMessage(Display *d, Window w, Atom type, long l0, long l1, long l2, long l3, long l4) {
	XEvent e;
	memset(&e, 0, sizeof e);
	e.xclient.type = ClientMessage;
	e.xclient.display = d;
	e.xclient.window = w;
	e.xclient.message_type = type;
	e.xclient.format = 32;
	e.xclient.data.l[0] = l0;
	e.xclient.data.l[1] = l1;
	e.xclient.data.l[2] = l2;
	e.xclient.data.l[3] = l3;
	e.xclient.data.l[4] = l4;
	XSendEvent(d, w, False, NoEventMask, &e);
	XFlush(d);
}

static int eventType(XEvent *e) { return e->type; }
static Atom clientType(XEvent *e) { return e->xclient.message_type; }
static long clientLong(XEvent *e, int i) { return e->xclient.data.l[i]; }

static XSelectionRequestEvent *selectionRequest(XEvent *e) { return &e->xselectionrequest; }

// answer gives the requestor of r the data as target (or refuses, with data NULL).
static void answer(Display *d, XSelectionRequestEvent *r, Atom target, const char *data, int n) {
	XEvent e;
	memset(&e, 0, sizeof e);
	e.xselection.type = SelectionNotify;
	e.xselection.display = d;
	e.xselection.requestor = r->requestor;
	e.xselection.selection = r->selection;
	e.xselection.target = r->target;
	e.xselection.time = r->time;
	e.xselection.property = None;
	if (data != NULL && r->target == target) {
		Atom prop = r->property != None ? r->property : r->target;
		XChangeProperty(d, r->requestor, prop, target, 8, PropModeReplace, (const unsigned char *)data, n);
		e.xselection.property = prop;
	}
	XSendEvent(d, r->requestor, False, NoEventMask, &e);
	XFlush(d);
}

// xdndVersion is the window's XdndAware version, or -1 if it takes no drops.
static long xdndVersion(Display *d, Window w, Atom aware) {
	Atom type;
	int format;
	unsigned long n, after;
	unsigned char *data = NULL;
	long v = -1;
	if (XGetWindowProperty(d, w, aware, 0, 1, False, XA_ATOM, &type, &format, &n, &after, &data) == Success &&
		type == XA_ATOM && format == 32 && n == 1) {
		v = (long)((Atom *)data)[0];
	}
	if (data != NULL)
		XFree(data);
	return v;
}

// target finds the window under root point x,y that takes drops, as a file
// manager does: down the window tree from the root. 0 if none.
static Window target(Display *d, Window root, int x, int y, Atom aware, long *version) {
	Window w = root, child;
	int tx, ty;
	for (;;) {
		long v = xdndVersion(d, w, aware);
		if (v >= 0) {
			*version = v;
			return w;
		}
		if (!XTranslateCoordinates(d, root, w, x, y, &tx, &ty, &child) || child == None)
			return 0;
		w = child;
	}
}

static int fd(Display *d) { return ConnectionNumber(d); }
*/
import "C"

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// ourVersion is the XDND version we speak (GLFW takes up to 5).
const ourVersion = 5

func main() {
	x := flag.Int("x", -1, "where to drop: x on the screen")
	y := flag.Int("y", -1, "where to drop: y on the screen")
	timeout := flag.Duration("timeout", 20*time.Second, "how long to wait for each answer of the window")
	flag.Parse()
	if *x < 0 || *y < 0 || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: xdnd -x X -y Y [-timeout 20s] FILE...")
		os.Exit(2)
	}
	if err := drop(*x, *y, *timeout, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "xdnd:", err)
		os.Exit(1)
	}
}

// uriList is the files as text/uri-list: absolute file:// URIs, one a line, CRLF.
func uriList(files []string) (string, error) {
	var b strings.Builder
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("no file to drop: %w", err)
		}
		b.WriteString((&url.URL{Scheme: "file", Path: abs}).String())
		b.WriteString("\r\n")
	}
	return b.String(), nil
}

func drop(x, y int, timeout time.Duration, files []string) error {
	list, err := uriList(files)
	if err != nil {
		return err
	}
	d := C.XOpenDisplay(nil)
	if d == nil {
		return fmt.Errorf("cannot open the X display %q", os.Getenv("DISPLAY"))
	}
	defer C.XCloseDisplay(d)
	atom := func(name string) C.Atom {
		s := C.CString(name)
		defer C.free(unsafe.Pointer(s))
		return C.XInternAtom(d, s, C.False)
	}
	var (
		aware     = atom("XdndAware")
		selection = atom("XdndSelection")
		enter     = atom("XdndEnter")
		position  = atom("XdndPosition")
		status    = atom("XdndStatus")
		dropMsg   = atom("XdndDrop")
		finished  = atom("XdndFinished")
		leave     = atom("XdndLeave")
		copyAct   = atom("XdndActionCopy")
		uriType   = atom("text/uri-list")
	)
	root := C.XDefaultRootWindow(d)

	// Our own window: it owns the selection and gets the target's answers.
	src := C.XCreateSimpleWindow(d, root, 0, 0, 1, 1, 0, 0, 0)
	defer C.XDestroyWindow(d, src)

	var version C.long
	tgt := C.target(d, root, C.int(x), C.int(y), aware, &version)
	if tgt == 0 {
		return fmt.Errorf("no window at %d,%d takes drops (none has XdndAware)", x, y)
	}
	v := min(int(version), ourVersion)
	if v < 2 {
		return fmt.Errorf("the window 0x%x at %d,%d speaks XDND version %d; at least 2 is needed to know the drop was taken", tgt, x, y, version)
	}

	C.XSetSelectionOwner(d, selection, src, C.CurrentTime)
	if C.XGetSelectionOwner(d, selection) != src {
		return errors.New("could not own XdndSelection")
	}
	// One type, so it fits in the message; no XdndTypeList needed.
	C.clientMessage(d, tgt, enter, C.long(src), C.long(v<<24), C.long(uriType), 0, 0)
	C.clientMessage(d, tgt, position, C.long(src), 0, C.long(x<<16|y), C.CurrentTime, C.long(copyAct))

	var ev C.XEvent
	// next waits for the next event, or says it did not come in time.
	next := func(what string) error {
		deadline := time.Now().Add(timeout)
		for C.pending(d) == 0 {
			left := time.Until(deadline)
			if left <= 0 {
				return fmt.Errorf("the window 0x%x did not answer with %s within %v", tgt, what, timeout)
			}
			waitReadable(int(C.fd(d)), min(left, 100*time.Millisecond))
		}
		C.XNextEvent(d, &ev)
		return nil
	}

	// XdndStatus: does it take text/uri-list here?
	for {
		if err := next("XdndStatus"); err != nil {
			C.clientMessage(d, tgt, leave, C.long(src), 0, 0, 0, 0)
			return err
		}
		if C.eventType(&ev) == C.ClientMessage && C.clientType(&ev) == status {
			if C.clientLong(&ev, 1)&1 == 0 {
				C.clientMessage(d, tgt, leave, C.long(src), 0, 0, 0, 0)
				return fmt.Errorf("the window 0x%x does not take the files at %d,%d (XdndStatus refused text/uri-list)", tgt, x, y)
			}
			break
		}
	}
	C.clientMessage(d, tgt, dropMsg, C.long(src), 0, C.CurrentTime, 0, 0)

	// The target asks for the list (SelectionRequest), then says it is done.
	answered := false
	data := C.CString(list)
	defer C.free(unsafe.Pointer(data))
	for {
		what := "a SelectionRequest for the dropped files"
		if answered {
			what = "XdndFinished"
		}
		if err := next(what); err != nil {
			return err
		}
		switch C.eventType(&ev) {
		case C.SelectionRequest:
			r := C.selectionRequest(&ev)
			if r.selection != selection {
				C.answer(d, r, uriType, nil, 0)
				continue
			}
			if r.target != uriType {
				C.answer(d, r, uriType, nil, 0) // refused: we only have text/uri-list
				continue
			}
			C.answer(d, r, uriType, data, C.int(len(list)))
			answered = true
		case C.ClientMessage:
			if C.clientType(&ev) != finished {
				continue
			}
			if !answered {
				return fmt.Errorf("the window 0x%x finished the drop without asking for the files", tgt)
			}
			// The spec says bit 0; GLFW sends the length of the list it read
			// there, so anything but 0 is a drop taken.
			if C.clientLong(&ev, 1) == 0 {
				return fmt.Errorf("the window 0x%x refused the drop (XdndFinished without success)", tgt)
			}
			fmt.Printf("dropped %d files on window 0x%x at %d,%d\n", len(files), uint64(C.clientLong(&ev, 0)), x, y)
			return nil
		}
	}
}

// waitReadable waits until the X connection has something to read, or d passes.
func waitReadable(fd int, d time.Duration) {
	var set syscall.FdSet
	set.Bits[fd/64] |= 1 << (uint(fd) % 64)
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	syscall.Select(fd+1, &set, nil, nil, &tv)
}
