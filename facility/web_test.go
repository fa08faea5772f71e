package facility_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"hearth/facility"
	"hearth/protocol"
)

// webDo is a request as a browser makes it: the session cookie (when given) and extra headers.
func (e *env) webDo(method, path, cookie string, hdr map[string]string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: facility.SessionCookie, Value: cookie})
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

// page is what the web app's own page sends with a request that changes something.
func (e *env) page() map[string]string {
	return map[string]string{facility.WebHeader: "1", "Origin": e.ts.URL, "Sec-Fetch-Site": "same-origin"}
}

// webJoin redeems code as a browser and returns the session cookie it got.
func (e *env) webJoin(code, userAgent string) (string, response) {
	e.t.Helper()
	h := e.page()
	h["User-Agent"] = userAgent
	r := e.webDo("POST", "/web/join", "", h, map[string]string{"code": code})
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == facility.SessionCookie {
			return c.Value, r
		}
	}
	return "", r
}

const phoneUA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36"

// A browser joins by link and is a device of its person like any other: in Devices as "Phone
// browser", under the same rules, and its cookie is one no script can read or another site send.
func TestWebJoinMakesABrowserADevice(t *testing.T) {
	e := newEnv(t)
	res := e.addPerson("Margaret Hughes", protocol.RoleResident)
	inv, err := e.f.Invite(t.Context(), facility.Admin, protocol.CreateInvitation{Name: "Anna Hughes", CircleID: res.circle, Relation: "Daughter"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:1/join#" + inv.Code; inv.WebLink != want {
		t.Errorf("web link %q, want %q", inv.WebLink, want)
	}
	var pv protocol.JoinPreview
	e.mustJSON(e.webDo("POST", "/web/join/preview", "", e.page(), map[string]string{"code": inv.Code}), 200, &pv)
	if pv != (protocol.JoinPreview{Facility: "Maple Grove", Person: "Anna Hughes", Resident: "Margaret Hughes", ResidentID: res.ID, Relation: "Daughter"}) {
		t.Errorf("preview %+v", pv)
	}
	cookie, r := e.webJoin(inv.Code, phoneUA)
	if r.status != 200 || cookie == "" {
		t.Fatalf("join: %d %s", r.status, r.body)
	}
	set := r.header.Get("Set-Cookie")
	for _, attr := range []string{"Path=/", "HttpOnly", "Secure", "SameSite=Strict", "Max-Age="} {
		if !strings.Contains(set, attr) {
			t.Errorf("cookie %q lacks %s", set, attr)
		}
	}
	if strings.Contains(string(r.body), cookie) {
		t.Error("the token is in the answer's body, where a script could read it")
	}
	// The cookie reads the feed like a token: the circle and the resident are there.
	r = e.webDo("GET", "/v1/sync", cookie, nil, nil)
	if r.status != 200 || !strings.Contains(string(r.body), "Margaret Hughes") {
		t.Fatalf("sync with the cookie: %d %s", r.status, r.body)
	}
	var devs protocol.DeviceList
	e.mustJSON(e.do("GET", "/v1/devices", res.token, nil), 200, nil)
	ds, _ := e.f.Server.Store().Devices(t.Context(), facility.Admin)
	devs.Devices = ds
	found := false
	for _, d := range devs.Devices {
		found = found || d.Name == "Phone browser"
	}
	if !found {
		t.Errorf("no device named Phone browser in %+v", devs.Devices)
	}
	// A message from the page reaches the resident.
	id := protocol.NewID()
	r = e.webDo("PUT", "/v1/messages/"+id, cookie, e.page(), protocol.PutMessage{To: res.ID, Text: "Hello Mum"})
	if r.status != 201 {
		t.Fatalf("message from the page: %d %s", r.status, r.body)
	}
	if !has(e.feed(res), protocol.KindMessage, protocol.OpPut, id) {
		t.Error("the resident did not get the message")
	}
	// The code worked once: the preview and a second join now say "used".
	if r := e.webDo("POST", "/web/join/preview", "", e.page(), map[string]string{"code": inv.Code}); errCode(r) != protocol.CodeCodeUsed {
		t.Errorf("preview of a used code: %d %s", r.status, r.body)
	}
	if _, r := e.webJoin(inv.Code, phoneUA); errCode(r) != protocol.CodeCodeUsed {
		t.Errorf("second join: %d %s", r.status, r.body)
	}
}

// Attacks on the web app's session: no cookie, a revoked device's cookie, a forged cross-site
// request, a page that frames the app. Each is refused and changes nothing.
func TestWebSessionRefusesForgeriesAndRevokedCookies(t *testing.T) {
	e := newEnv(t)
	res := e.addPerson("Margaret Hughes", protocol.RoleResident)
	inv, err := e.f.Invite(t.Context(), facility.Admin, protocol.CreateInvitation{Name: "Anna Hughes", CircleID: res.circle, Relation: "Daughter"})
	if err != nil {
		t.Fatal(err)
	}
	cookie, r := e.webJoin(inv.Code, phoneUA)
	if cookie == "" {
		t.Fatalf("join: %d %s", r.status, r.body)
	}
	var s struct {
		State    string `json:"state"`
		DeviceID string `json:"device_id"`
	}
	json.Unmarshal(e.webDo("GET", "/web/session", cookie, nil, nil).body, &s)
	if s.State != "joined" {
		t.Fatalf("session %+v", s)
	}
	msg := func(text string) protocol.PutMessage { return protocol.PutMessage{To: res.ID, Text: text} }

	// No cookie: 401, and the session says "none".
	if r := e.webDo("PUT", "/v1/messages/"+protocol.NewID(), "", e.page(), msg("no cookie")); r.status != 401 {
		t.Errorf("without a cookie: %d %s", r.status, r.body)
	}
	json.Unmarshal(e.webDo("GET", "/web/session", "", nil, nil).body, &s)
	if s.State != "none" {
		t.Errorf("session without a cookie: %+v", s)
	}
	// Cross-site forgeries with the cookie (SameSite aside: an old browser, a sibling site):
	// each is missing one part of the proof, or shows another origin.
	forged := map[string]map[string]string{
		"no header":               {"Origin": e.ts.URL, "Sec-Fetch-Site": "same-origin"},
		"other origin":            {facility.WebHeader: "1", "Origin": "https://evil.example"},
		"cross-site fetch":        {facility.WebHeader: "1", "Sec-Fetch-Site": "cross-site"},
		"same-site sibling":       {facility.WebHeader: "1", "Sec-Fetch-Site": "same-site"},
		"header, null origin":     {facility.WebHeader: "1", "Origin": "null"},
		"plain form post":         {"Content-Type": "application/x-www-form-urlencoded"},
		"header with wrong value": {facility.WebHeader: "yes", "Origin": e.ts.URL},
	}
	for name, h := range forged {
		r := e.webDo("PUT", "/v1/messages/"+protocol.NewID(), cookie, h, msg("forged: "+name))
		if r.status != 403 || errCode(r) != protocol.CodeForbidden {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
		if r := e.webDo("POST", "/v1/devices/"+s.DeviceID+"/revoke", cookie, h, nil); r.status != 403 {
			t.Errorf("%s revoke: %d %s", name, r.status, r.body)
		}
		if r := e.webDo("POST", "/web/join", "", h, map[string]string{"code": inv.Code}); r.status != 403 {
			t.Errorf("%s join: %d %s", name, r.status, r.body)
		}
	}
	for _, c := range e.feed(res) {
		if c.Kind == protocol.KindMessage && strings.Contains(string(c.Data), "forged") {
			t.Errorf("a forged message arrived: %s", c.Data)
		}
	}
	// A bearer token needs no web proof (the apps), and a cookie GET neither (nothing changes).
	if r := e.webDo("GET", "/v1/sync", cookie, map[string]string{"Sec-Fetch-Site": "same-origin"}, nil); r.status != 200 {
		t.Errorf("GET with the cookie: %d", r.status)
	}

	// Staff disconnect the phone: its cookie is refused on the next request, and the page learns
	// it was disconnected (not "never joined").
	if err := e.f.Server.Store().RevokeDevice(t.Context(), facility.Admin, s.DeviceID); err != nil {
		t.Fatal(err)
	}
	if r := e.webDo("PUT", "/v1/messages/"+protocol.NewID(), cookie, e.page(), msg("after revoke")); r.status != 401 {
		t.Errorf("revoked cookie: %d %s", r.status, r.body)
	}
	if r := e.webDo("GET", "/v1/sync", cookie, nil, nil); r.status != 401 {
		t.Errorf("revoked cookie reads the feed: %d", r.status)
	}
	json.Unmarshal(e.webDo("GET", "/web/session", cookie, nil, nil).body, &s)
	if s.State != "disconnected" {
		t.Errorf("session of a revoked cookie: %+v", s)
	}
}

// Every answer, pages, scripts, the API and errors, carries the strict policy and refuses framing.
func TestWebPagesCarryCSPAndRefuseFraming(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/", "/join", "/messages", "/album", "/sw.js", "/app/app.js", "/app/style.css", "/app/join.js", "/app/AtkinsonHyperlegible-Regular.woff2",
		"/manifest.webmanifest", "/v1/info", "/web/session", "/nothing-here", "/app/nothing.js", "/app/..%2fwebapp.go"} {
		r := e.webDo("GET", p, "", nil, nil)
		csp := r.header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s (%d): CSP %q lacks %s", p, r.status, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
			t.Errorf("%s: CSP allows more than this server: %q", p, csp)
		}
		if r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", p, r.header.Get("X-Frame-Options"))
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", p)
		}
		// The app's files are revalidated; nothing else is kept by a browser or a proxy (the
		// page preloads the session and the feed: they must not outlive the page).
		want := "no-store"
		if (p == "/" || p == "/join" || p == "/messages" || p == "/album" || p == "/sw.js" || p == "/manifest.webmanifest" || strings.HasPrefix(p, "/app/")) && r.status == 200 {
			want = "no-cache"
		}
		if cc := r.header.Get("Cache-Control"); cc != want {
			t.Errorf("%s (%d): Cache-Control %q, want %q", p, r.status, cc, want)
		}
	}
	// The pages hold no inline script or style, and name no other origin.
	for _, p := range []string{"/", "/join"} {
		r := e.webDo("GET", p, "", nil, nil)
		b := string(r.body)
		if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", p, r.status, r.header.Get("Content-Type"))
		}
		if strings.Contains(b, "<script>") || strings.Contains(b, "style=") || strings.Contains(b, "<style") || strings.Contains(b, "//") && strings.Contains(b, "http") {
			t.Errorf("%s has inline script or style, or another origin", p)
		}
	}
	if r := e.webDo("GET", "/app/..%2fwebapp.go", "", nil, nil); r.status != 404 {
		t.Errorf("a path out of the app's files: %d", r.status)
	}
}

// The join page's preview obeys the pairing rules: a wrong secret counts as one of the
// invitation's tries (the fifth burns it), and a right one counts nothing, however often.
func TestWebPreviewCountsWrongTriesOnly(t *testing.T) {
	e := newEnv(t)
	res := e.addPerson("Margaret Hughes", protocol.RoleResident)
	inv, err := e.f.Invite(t.Context(), facility.Admin, protocol.CreateInvitation{Name: "Anna Hughes", CircleID: res.circle, Relation: "Daughter"})
	if err != nil {
		t.Fatal(err)
	}
	preview := func(code string) response {
		return e.webDo("POST", "/web/join/preview", "", e.page(), map[string]string{"code": code})
	}
	for i := 0; i < 6; i++ { // opening the link again and again does not use it up
		if r := preview(inv.Code); r.status != 200 {
			t.Fatalf("preview %d: %d %s", i, r.status, r.body)
		}
	}
	for i := 0; i < 5; i++ {
		if r := preview(wrongSecret(inv.Code, i)); errCode(r) != protocol.CodeInvalidCode {
			t.Fatalf("wrong secret %d: %d %s", i, r.status, r.body)
		}
	}
	if r := preview(inv.Code); errCode(r) != protocol.CodeCodeBurned {
		t.Errorf("after five wrong tries: %d %s", r.status, r.body)
	}
	if _, r := e.webJoin(inv.Code, phoneUA); errCode(r) != protocol.CodeCodeBurned {
		t.Errorf("join after five wrong tries: %d %s", r.status, r.body)
	}
}

func TestBrowserNames(t *testing.T) {
	for ua, want := range map[string]string{
		phoneUA: "Phone browser",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1": "Phone browser",
		"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/604.1":                        "Tablet browser",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36":                                   "Computer browser",
	} {
		if got := facility.BrowserName(ua); got != want {
			t.Errorf("%q: %q, want %q", ua, got, want)
		}
	}
}

// The page without photos is small over mobile data: everything the app loads, gzipped as the
// server sends it, is at most 100 KB, and a second visit revalidates each file with its ETag.
func TestWebAppIsSmallAndRevalidated(t *testing.T) {
	e := newEnv(t)
	total := 0
	for _, p := range []string{"/", "/app/style.css", "/app/first.js", "/app/app.js", "/app/api.js", "/app/outbox.js",
		"/app/AtkinsonHyperlegible-Regular.woff2", "/app/AtkinsonHyperlegible-Bold.woff2", "/manifest.webmanifest", "/app/icon.png"} {
		r := e.webDo("GET", p, "", map[string]string{"Accept-Encoding": "gzip, deflate, br"}, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d", p, r.status)
		}
		total += len(r.body)
		plain := e.webDo("GET", p, "", nil, nil)
		if r.header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(r.body))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if b, _ := io.ReadAll(zr); !bytes.Equal(b, plain.body) {
				t.Errorf("%s: gzipped body differs from the file", p)
			}
		}
		etag := plain.header.Get("ETag")
		if r := e.webDo("GET", p, "", map[string]string{"If-None-Match": etag}, nil); etag == "" || r.status != 304 {
			t.Errorf("%s: ETag %q, revalidation %d", p, etag, r.status)
		}
	}
	if total > 100_000 {
		t.Errorf("the app without photos is %d bytes, more than 100 KB", total)
	}
	t.Logf("the app without photos: %d bytes", total)
}

// A browser finds the app's icon where the page names it and where browsers look by
// themselves (/favicon.ico), instead of a "not found" in the server's log at every visit.
func TestBrowsersFindTheIcon(t *testing.T) {
	e := newEnv(t)
	for _, page := range []string{"/", "/join"} {
		if r := e.webDo("GET", page, "", nil, nil); !bytes.Contains(r.body, []byte(`<link rel="icon" href="/app/icon.png"`)) {
			t.Errorf("%s names no icon", page)
		}
	}
	r := e.webDo("GET", "/favicon.ico", "", nil, nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" {
		t.Fatalf("/favicon.ico: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if icon := e.webDo("GET", "/app/icon.png", "", nil, nil); !bytes.Equal(r.body, icon.body) {
		t.Error("/favicon.ico is not the app's icon")
	}
}
