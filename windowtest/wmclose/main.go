//go:build windowtest

// Command wmclose asks an X window to close the way a window manager's close
// button does, for the window test: it sends the window WM_PROTOCOLS with
// WM_DELETE_WINDOW, which the window must have said it takes. (xdotool's
// windowclose destroys the window instead, which no person can do.)
//
//	wmclose WINDOW-ID
//
// DISPLAY says which X server. It exits 0 once the message is sent, and with
// a sentence saying why not otherwise.
package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <string.h>
#include <X11/Xlib.h>

// takesDelete reports whether w lists WM_DELETE_WINDOW in WM_PROTOCOLS.
static int takesDelete(Display *d, Window w, Atom del) {
	Atom *protocols = NULL;
	int n = 0, found = 0;
	if (!XGetWMProtocols(d, w, &protocols, &n)) return 0;
	for (int i = 0; i < n; i++) if (protocols[i] == del) found = 1;
	XFree(protocols);
	return found;
}

static void askToClose(Display *d, Window w, Atom protocols, Atom del) {
	XEvent e;
	memset(&e, 0, sizeof e);
	e.xclient.type = ClientMessage;
	e.xclient.display = d;
	e.xclient.window = w;
	e.xclient.message_type = protocols;
	e.xclient.format = 32;
	e.xclient.data.l[0] = del;
	e.xclient.data.l[1] = CurrentTime;
	XSendEvent(d, w, False, NoEventMask, &e);
	XSync(d, False);
}
*/
import "C"

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wmclose:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("give the window's id (as xdotool search prints it)")
	}
	id, err := strconv.ParseUint(args[0], 0, 32)
	if err != nil {
		return fmt.Errorf("window id %q: %w", args[0], err)
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
	protocols, del := atom("WM_PROTOCOLS"), atom("WM_DELETE_WINDOW")
	w := C.Window(id)
	if C.takesDelete(d, w, del) == 0 {
		return fmt.Errorf("window %d does not take WM_DELETE_WINDOW: a window manager could not close it", id)
	}
	C.askToClose(d, w, protocols, del)
	return nil
}
