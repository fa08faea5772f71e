// Package xscreen reads pixels from a local X server (Xvfb) for the app
// benchmarks. It speaks the core protocol's GetImage itself: ImageMagick's
// import takes 150–250 ms a shot, too coarse to time a first frame, while one
// GetImage of the screen takes a few milliseconds.
package xscreen

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// Screen is a connection to an X server that reads the root window's pixels.
type Screen struct {
	conn          net.Conn
	r             *bufio.Reader
	root          uint32
	Width, Height int
	depth         byte
}

// Open connects to a local display such as ":99" without authorisation,
// as Xvfb started without -auth allows.
func Open(display string) (*Screen, error) {
	num := strings.TrimPrefix(display, ":")
	if i := strings.IndexByte(num, '.'); i >= 0 {
		num = num[:i]
	}
	if _, err := strconv.Atoi(num); err != nil {
		return nil, fmt.Errorf("display %q: want a local display like :99", display)
	}
	c, err := net.Dial("unix", "/tmp/.X11-unix/X"+num)
	if err != nil {
		return nil, fmt.Errorf("connect to X display %s: %w", display, err)
	}
	s := &Screen{conn: c, r: bufio.NewReaderSize(c, 1<<20)}
	// Setup request: little-endian, protocol 11.0, no authorisation.
	if _, err := c.Write([]byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		c.Close()
		return nil, fmt.Errorf("X setup: %w", err)
	}
	head := make([]byte, 8)
	if _, err := io.ReadFull(s.r, head); err != nil {
		c.Close()
		return nil, fmt.Errorf("X setup reply: %w", err)
	}
	rest := make([]byte, 4*int(binary.LittleEndian.Uint16(head[6:])))
	if _, err := io.ReadFull(s.r, rest); err != nil {
		c.Close()
		return nil, fmt.Errorf("X setup reply: %w", err)
	}
	if head[0] != 1 {
		c.Close()
		return nil, fmt.Errorf("X server refused the connection (status %d): %s", head[0], strings.TrimSpace(string(rest)))
	}
	vendorLen := int(binary.LittleEndian.Uint16(rest[16:]))
	formats := int(rest[21])
	off := 32 + (vendorLen+3)&^3 + 8*formats
	if len(rest) < off+40 {
		c.Close()
		return nil, errors.New("X setup reply too short")
	}
	scr := rest[off:]
	s.root = binary.LittleEndian.Uint32(scr[0:])
	s.Width = int(binary.LittleEndian.Uint16(scr[20:]))
	s.Height = int(binary.LittleEndian.Uint16(scr[22:]))
	s.depth = scr[38]
	if s.depth != 24 && s.depth != 32 {
		c.Close()
		return nil, fmt.Errorf("X screen depth %d: start Xvfb with -screen 0 WxHx24", s.depth)
	}
	return s, nil
}

// Close ends the connection.
func (s *Screen) Close() error { return s.conn.Close() }

// Grab returns the whole screen as 32-bit pixels (B, G, R, unused), row by row.
func (s *Screen) Grab() ([]byte, error) { return s.GrabRect(0, 0, s.Width, s.Height) }

// GrabRect returns a w×h rectangle of the screen at x, y, as Grab does.
func (s *Screen) GrabRect(x, y, w, h int) ([]byte, error) {
	req := make([]byte, 20)
	req[0] = 73 // GetImage
	req[1] = 2  // ZPixmap
	binary.LittleEndian.PutUint16(req[2:], 5)
	binary.LittleEndian.PutUint32(req[4:], s.root)
	binary.LittleEndian.PutUint16(req[8:], uint16(x))
	binary.LittleEndian.PutUint16(req[10:], uint16(y))
	binary.LittleEndian.PutUint16(req[12:], uint16(w))
	binary.LittleEndian.PutUint16(req[14:], uint16(h))
	binary.LittleEndian.PutUint32(req[16:], 0xffffffff)
	if _, err := s.conn.Write(req); err != nil {
		return nil, fmt.Errorf("X GetImage: %w", err)
	}
	for {
		head := make([]byte, 32)
		if _, err := io.ReadFull(s.r, head); err != nil {
			return nil, fmt.Errorf("X GetImage reply: %w", err)
		}
		switch head[0] {
		case 0:
			return nil, fmt.Errorf("X GetImage failed: error code %d", head[1])
		case 1:
			data := make([]byte, 4*int(binary.LittleEndian.Uint32(head[4:])))
			if _, err := io.ReadFull(s.r, data); err != nil {
				return nil, fmt.Errorf("X GetImage data: %w", err)
			}
			if len(data) < 4*w*h {
				return nil, fmt.Errorf("X GetImage: %d bytes for %dx%d", len(data), w, h)
			}
			return data, nil
		default:
			// An event we did not ask for: skip it.
		}
	}
}
