package demo

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"

	"hearth/facility"
	"hearth/protocol"
)

// member is someone of the demo care home.
type member struct {
	key       string // how the script names them
	name      string
	role      string
	room      string
	relation  string // to Margaret, for her circle; staff: their job (not stored)
	device    string // the name of their device, as staff see it
	canInvite bool
	photo     string // their own photo (a demo photo), or "" for initials
}

// cast is Maple Grove: Margaret, her family and friends, and two of the staff.
var cast = []member{
	{key: "grace", name: "Grace Okafor", role: protocol.RoleStaff, relation: "Nurse", device: "Nursing station PC"},
	{key: "margaret", name: "Margaret Hughes", role: protocol.RoleResident, room: "12", device: "Margaret's tablet", photo: phDandelions},
	{key: "priya", name: "Priya Shah", role: protocol.RoleStaff, relation: "Activities coordinator", device: "Activities office PC"},
	{key: "anna", name: "Anna Carter", role: protocol.RoleFamily, relation: "Daughter", device: "Anna's laptop", canInvite: true, photo: phDogs},
	{key: "tom", name: "Tom Hughes", role: protocol.RoleFamily, relation: "Son", device: "Tom's PC", photo: phBridge},
	{key: "lucy", name: "Lucy Carter", role: protocol.RoleFamily, relation: "Granddaughter", device: "Lucy's phone", photo: phDragonfly},
	{key: "joan", name: "Joan Whitfield", role: protocol.RoleFamily, relation: "Sister", device: "Joan's tablet", photo: phSunset},
	{key: "eileen", name: "Eileen Brooks", role: protocol.RoleFamily, relation: "Old friend", device: "Eileen's PC"},
}

// family is the keys of the circle's family members and friends, in cast order.
func family() []string {
	var out []string
	for _, m := range cast {
		if m.role == protocol.RoleFamily {
			out = append(out, m.key)
		}
	}
	return out
}

// careHome is the demo facility as the demo drives it: its people, their devices and photos.
type careHome struct {
	api      *client
	log      *slog.Logger
	dates    *dated
	circleID string
	people   map[string]protocol.Person
	devices  map[string]*device
	photos   []demoPhoto // in name order
	refs     map[string]protocol.PhotoRef
	ids      map[string]string // history key → item id
}

func (c *careHome) staff() *device { return c.devices["grace"] }

func (c *careHome) photo(name string) (demoPhoto, error) {
	for _, p := range c.photos {
		if p.name == name {
			return p, nil
		}
	}
	return demoPhoto{}, fmt.Errorf("the demo photo %s is missing from Options.Photos", name)
}

// upload sends a demo photo from dev (as a person's app does before a post) and returns its hash.
func (c *careHome) upload(ctx context.Context, dev *device, name string) (string, error) {
	p, err := c.photo(name)
	if err != nil {
		return "", err
	}
	ref, err := dev.upload(ctx, p.data)
	if err != nil {
		return "", fmt.Errorf("upload %s: %w", name, err)
	}
	c.refs[name] = ref
	return ref.SHA256, nil
}

// demoPhoto is one of the demo photos.
type demoPhoto struct {
	name string // file name, e.g. "sunset_by_Aitzol_Berasategi.jpg"
	data []byte
}

// loadPhotos reads demo/*.jpg of fsys.
func loadPhotos(fsys fs.FS) ([]demoPhoto, error) {
	names, err := fs.Glob(fsys, "demo/*.jpg")
	if err != nil {
		return nil, fmt.Errorf("demo: list the photos: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("demo: Options.Photos holds no demo/*.jpg photos (use assets.Demo)")
	}
	sort.Strings(names)
	out := make([]demoPhoto, 0, len(names))
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("demo: read %s: %w", n, err)
		}
		out = append(out, demoPhoto{name: path.Base(n), data: b})
	}
	return out, nil
}

// setUp makes the care home as a real one is made: the command line makes the first staff
// account and its invitation (in-process, as `hearth-facility people add` and `invite` do); the
// nurse pairs the nursing station's PC and, over the HTTP API, adds Margaret, her colleague and
// the family, and invites each; everyone pairs a device of their own. Then the history is written.
func (d *Demo) setUp(ctx context.Context, photos []demoPhoto, now time.Time) (*careHome, error) {
	c := &careHome{api: d.api, log: d.log, dates: d.dates, people: map[string]protocol.Person{},
		devices: map[string]*device{}, photos: photos, refs: map[string]protocol.PhotoRef{}, ids: map[string]string{}}

	first := cast[0]
	resp, err := d.fac.CreatePerson(ctx, facility.Admin, protocol.CreatePerson{Name: first.name, Role: first.role})
	if err != nil {
		return nil, fmt.Errorf("add %s: %w", first.name, err)
	}
	inv, err := d.fac.Invite(ctx, facility.Admin, protocol.CreateInvitation{PersonID: resp.Person.ID})
	if err != nil {
		return nil, fmt.Errorf("invite %s: %w", first.name, err)
	}
	grace, err := c.api.pair(ctx, inv.Link, first.device)
	if err != nil {
		return nil, fmt.Errorf("pair %s: %w", first.device, err)
	}
	c.people[first.key], c.devices[first.key] = grace.person, grace

	for _, m := range cast[1:] {
		resp, err := grace.createPerson(ctx, protocol.CreatePerson{Name: m.name, Role: m.role, Room: m.room})
		if err != nil {
			return nil, fmt.Errorf("add %s: %w", m.name, err)
		}
		if resp.Circle != nil {
			c.circleID = resp.Circle.ID
		}
		req := protocol.CreateInvitation{PersonID: resp.Person.ID}
		if m.role == protocol.RoleFamily {
			req.CircleID, req.Relation, req.CanInvite = c.circleID, m.relation, m.canInvite
		}
		inv, err := grace.invite(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("invite %s: %w", m.name, err)
		}
		dev, err := c.api.pair(ctx, inv.Link, m.device)
		if err != nil {
			return nil, fmt.Errorf("pair %s: %w", m.device, err)
		}
		c.people[m.key], c.devices[m.key] = dev.person, dev
	}
	if c.circleID == "" {
		return nil, fmt.Errorf("the resident's circle was not made")
	}
	// Family choose their own photos; the nurse sets Margaret's.
	for _, m := range cast {
		if m.photo == "" {
			continue
		}
		dev := c.devices[m.key]
		if m.role == protocol.RoleResident {
			dev = grace
		}
		sha, err := c.upload(ctx, dev, m.photo)
		if err != nil {
			return nil, err
		}
		if err := dev.setAvatar(ctx, c.people[m.key].ID, sha); err != nil {
			return nil, fmt.Errorf("set %s's photo: %w", m.name, err)
		}
	}
	d.log.Debug("demo people paired", "took", time.Since(now))
	if err := c.writeHistory(ctx, history(now)); err != nil {
		return nil, err
	}
	return c, nil
}

// firstName is how the circle calls someone in a log line.
func firstName(p protocol.Person) string {
	name, _, _ := strings.Cut(p.Name, " ")
	return name
}

var (
	otherFirst = []string{"Arthur", "Joan", "Harold", "Dorothy", "Albert", "Edith", "Walter", "Irene", "Frank", "Winifred",
		"Stanley", "Mabel", "Ernest", "Gladys", "Norman", "Vera", "Cyril", "Ivy", "Leonard", "Phyllis", "Reginald", "Hilda"}
	otherLast = []string{"Bell", "Clarke", "Dixon", "Evans", "Fisher", "Green", "Hall", "Irwin", "Jones", "King", "Lloyd",
		"Moore", "Nash", "Owen", "Price", "Quinn", "Reid"}
)

// addResidents adds n residents as the nurse does, in rooms 101 on: names
// from short lists, so each first name and surname comes back now and then,
// as in a real home (a search must tell two Joans apart).
func (c *careHome) addResidents(ctx context.Context, n int) error {
	for i := range n {
		name := otherFirst[i%len(otherFirst)] + " " + otherLast[(i/len(otherFirst)+i)%len(otherLast)]
		req := protocol.CreatePerson{Name: name, Role: protocol.RoleResident, Room: fmt.Sprint(101 + i)}
		if _, err := c.staff().createPerson(ctx, req); err != nil {
			return fmt.Errorf("add resident %s: %w", name, err)
		}
	}
	return nil
}
