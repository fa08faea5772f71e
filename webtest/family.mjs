// Scenarios of the family web app in Debian's chromium (playwright-core), against the real
// facility server the Go test (web_test.go) started; the Go test passes HEARTH_WEBTEST and
// plays the resident (seen marks, loves, answers) and staff (invitations, disconnecting).
// Every wait has a deadline and waits for a condition, never for a fixed time.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createECDH, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const cfg = JSON.parse(process.env.HEARTH_WEBTEST);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const T = 45000; // deadline of one wait
const phone = {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, ignoreHTTPSErrors: true,
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
};
const desktop = { viewport: { width: 1280, height: 900 }, ignoreHTTPSErrors: true };
const started = Date.now();
const step = (s) => console.log(`${((Date.now() - started) / 1000).toFixed(1)}s ${s}`);
function fail(msg) { throw new Error(msg); }

async function control(p, method = 'GET') {
  const r = await fetch(cfg.control + p, { method });
  if (!r.ok) fail(`control ${p}: ${r.status} ${await r.text()}`);
  return r.json();
}
async function see(page, text, timeout = T) {
  await page.getByText(text).first().waitFor({ state: 'visible', timeout });
}
// until waits, up to a deadline, for fn (run in the page) to hold. (page.waitForFunction
// evaluates strings, which the app's CSP forbids; page.evaluate goes through the debugger.)
async function until(page, what, fn, timeout = T) {
  for (const deadline = Date.now() + timeout; !(await page.evaluate(fn).catch(() => false));) {
    if (Date.now() > deadline) fail('timed out waiting for ' + what);
    await page.waitForTimeout(25);
  }
}
async function axe(page, what) {
  await page.evaluate(axeSource); // through the debugger: the page's CSP allows no injected script
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  if (r.violations.length) {
    fail(`axe on ${what}: ` + r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; '));
  }
  step(`axe: no violation on ${what}`);
}
async function shot(page, name) {
  if (!cfg.shots) return;
  mkdirSync(cfg.shots, { recursive: true });
  await page.screenshot({ path: path.join(cfg.shots, `web-${name}.png`) });
}
async function view(page, name) {
  await page.getByRole('button', { name, exact: true }).click();
  await page.locator('#view-' + name.toLowerCase()).waitFor({ state: 'visible', timeout: T });
}
async function session(page) {
  return page.evaluate(async () => (await fetch('/web/session')).json());
}
// Every page a scenario joined with: at the end, none may ever have shown a thing twice.
const joined = [];
// watchTwice records, in the page, every item shown both as waiting to be sent and as sent at
// the same moment (a person would read her message twice).
function watchTwice() {
  if (window.__twice) return;
  window.__twice = [];
  new MutationObserver(() => {
    for (const w of document.querySelectorAll('[data-outbox]')) {
      const id = w.dataset.outbox;
      if (document.querySelector(`[data-post="${id}"],[data-message="${id}"]`) && !window.__twice.includes(id)) window.__twice.push(id);
    }
  }).observe(document, { subtree: true, childList: true });
}
async function neverTwice() {
  for (const page of joined) {
    if (page.isClosed()) continue;
    const twice = await page.evaluate(() => window.__twice).catch(() => []);
    if (twice && twice.length) fail('shown twice, as waiting and as sent at once: ' + twice.join(', '));
  }
}
// join opens a fresh invitation link and joins, calling the resident "Mum".
async function join(ctx, name, opts = {}) {
  const inv = await control('/invite?name=' + encodeURIComponent(name), 'POST');
  if (!inv.web_link || !inv.web_link.startsWith(cfg.base + '/join#')) fail('web link: ' + inv.web_link);
  await ctx.addInitScript(watchTwice);
  const page = await ctx.newPage();
  joined.push(page);
  page.on('pageerror', (e) => step('error in the page: ' + e.message));
  const resp = await page.goto(inv.web_link);
  const h = resp.headers();
  if (!h['content-security-policy'] || !h['content-security-policy'].includes("frame-ancestors 'none'")) fail('join page without CSP');
  await see(page, 'Welcome to Hearth at Maple Grove');
  await see(page, 'Margaret Hughes');
  await see(page, name + ' (daughter)');
  if (opts.axe) await axe(page, 'the join page');
  if (opts.shot) await shot(page, 'join');
  await page.getByLabel('What do you call Margaret?').fill('Mum');
  await page.getByRole('button', { name: "Join Margaret's circle" }).click();
  await see(page, 'Up to date');
  await page.waitForURL(cfg.base + '/');
  step(`${name} joined`);
  return { page, inv };
}

const scenarios = {
  async 'join-phone'(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Anna Hughes', { axe: true, shot: true });
    if (await page.evaluate(() => document.cookie) !== '') fail('the session cookie is readable by script');
    const s = await session(page);
    const dev = (await control('/devices')).find((d) => d.id === s.device_id);
    if (!dev || dev.name !== 'Phone browser') fail('device in the list: ' + JSON.stringify(dev));
    step('staff see the device "Phone browser"');
    await see(page, 'No photos yet');
    await axe(page, 'the empty album');
    for (const v of ['Share', 'Messages', 'News', 'Me']) {
      await view(page, v);
      await axe(page, v);
    }
    await see(page, 'This phone is connected to Hearth as “Phone browser”.');
    // Her own photo.
    await page.locator('#avatar').setInputFiles(path.join(cfg.demo, 'friends_by_Aitzol_Berasategi.jpg'));
    await page.locator('#my-photo').waitFor({ state: 'visible', timeout: T });
    await until(page, 'her photo to show', () => { const i = document.getElementById('my-photo'); return i.complete && i.naturalWidth > 0; });
    step('her own photo is set');
    await shot(page, 'me');
    await view(page, 'Share');
    await shot(page, 'share');
  },

  async 'join-desktop'(browser) {
    const ctx = await browser.newContext(desktop);
    const { page } = await join(ctx, 'Ben Hughes', { axe: true });
    const s = await session(page);
    const dev = (await control('/devices')).find((d) => d.id === s.device_id);
    if (!dev || dev.name !== 'Computer browser') fail('device in the list: ' + JSON.stringify(dev));
    await axe(page, 'the album at desktop size');
    await shot(page, 'desktop-album');
    await view(page, 'Messages');
    await axe(page, 'Messages at desktop size');
    await shot(page, 'desktop-messages');
    await view(page, 'Photos');
    // Another site frames the app: the browser refuses (frame-ancestors 'none', X-Frame-Options).
    const evil = await ctx.newPage();
    await evil.goto(cfg.control + '/frame?src=' + encodeURIComponent(cfg.base + '/'));
    await evil.waitForLoadState('load'); // the page's load waits for its frame's
    const frame = await (await evil.$('iframe')).contentFrame();
    const inside = frame ? await frame.$('#title').then((x) => !!x).catch(() => false) : false;
    if (inside) fail("the app showed inside another site's frame");
    step(`framing by another site refused (the frame shows ${frame ? frame.url() || 'nothing' : 'nothing'})`);
  },

  async 'bad-codes'(browser) {
    const ctx = await browser.newContext(phone);
    const inv = await control('/invite?name=' + encodeURIComponent('Cara Hughes'), 'POST');
    const page = await ctx.newPage();
    // A wrong code: the last character changed.
    const code = inv.web_link.split('#')[1];
    const last = code.slice(-1) === 'A' ? 'B' : 'A';
    await page.goto(inv.web_link.replace(code, code.slice(0, -1) + last));
    await see(page, 'This invitation link does not work');
    await see(page, 'ask the care home for a new invitation');
    await axe(page, 'a wrong code');
    await shot(page, 'wrong-code');
    // No code at all.
    await page.goto(cfg.base + '/join');
    await see(page, 'This invitation link does not work');
    // The right code works once; a second phone gets "used".
    const first = await browser.newContext(phone);
    const p1 = await first.newPage();
    await p1.goto(inv.web_link);
    await p1.getByRole('button', { name: "Join Margaret's circle" }).click();
    await see(p1, 'Up to date');
    await page.goto(inv.web_link);
    await page.reload();
    await see(page, 'This invitation has been used already');
    await axe(page, 'a used code');
    await shot(page, 'used-code');
    const text = await page.locator('body').innerText();
    if (/\b(403|code_used|Error|stack)\b/.test(text)) fail('technical words on the page: ' + text);
    // An invitation the care home cancelled.
    const cancelled = await control('/invite?name=' + encodeURIComponent('Cat Hughes'), 'POST');
    await control('/cancel?code=' + encodeURIComponent(cancelled.code), 'POST');
    await page.goto(cancelled.web_link);
    await page.reload();
    await see(page, 'This invitation no longer works');
    await see(page, 'It has expired, or the care home cancelled it. Ask the care home for a new invitation.');
    await axe(page, 'a cancelled code');
    // A page of the app without having joined.
    const fresh = await (await browser.newContext(phone)).newPage();
    await fresh.goto(cfg.base + '/');
    await see(fresh, 'This phone is not connected to Hearth yet');
    await axe(fresh, 'the app before joining');
  },

  async share(browser) {
    const ctx = await browser.newContext(phone);
    await ctx.addInitScript(() => {
      // Every status the page shows, to check the steps in words afterwards.
      window.__states = [];
      new MutationObserver(() => {
        for (const e of document.querySelectorAll('#status, .state')) if (!window.__states.includes(e.textContent)) window.__states.push(e.textContent);
      }).observe(document, { subtree: true, childList: true, characterData: true });
    });
    const { page } = await join(ctx, 'Dora Hughes');
    await view(page, 'Share');
    const big = path.join(cfg.repo, 'photo', 'testdata', 'phone-12mp-gps-rotated.jpg');
    await page.locator('#pick').setInputFiles([big, path.join(cfg.demo, 'seeding_by_Clements_Engelhardt.jpg')]);
    await see(page, '2 photos chosen');
    await page.getByLabel('Caption').fill('Our walk by the river');
    await axe(page, 'Share with two photos chosen');
    await page.getByRole('button', { name: 'Send photos' }).click();
    const card = page.locator('article', { hasText: 'Our walk by the river' });
    await card.getByText('Seen by Mum').waitFor({ timeout: T });
    await card.getByText('Mum loved this').waitFor({ timeout: T });
    step('the resident saw and loved the photos: "Seen by Mum", "Mum loved this"');
    const states = await page.evaluate(() => window.__states);
    for (const s of ['Sending photo 1 of 2', 'Sending photo 2 of 2', 'Seen by Mum']) {
      if (!states.some((x) => x.includes(s))) fail(`never showed "${s}": ${JSON.stringify(states)}`);
    }
    if (await control('/count?text=' + encodeURIComponent('Our walk by the river')) !== 1) fail('the post did not arrive exactly once');
    // The 12-megapixel photo was shrunk in the page: 2560 px on its long side, upright.
    const feed = await page.evaluate(async () => (await fetch('/v1/sync?limit=1000')).json());
    const post = feed.changes.find((c) => c.kind === 'post' && c.data.caption === 'Our walk by the river').data;
    const p0 = post.photos.find((p) => p.height > p.width);
    if (!p0 || p0.width !== 1920 || p0.height !== 2560) fail('the big photo was not shrunk to 2560 px upright: ' + JSON.stringify(post.photos));
    // Her sister opens the album on her phone: shown is seen, and Dora's page names her too.
    const sister = await join(await browser.newContext(phone), 'Hana Hughes');
    await sister.page.locator('article', { hasText: 'Our walk by the river' }).getByText('From Dora').waitFor({ timeout: T });
    await card.getByText('Seen by Mum and Hana').waitFor({ timeout: T });
    step('her sister saw it: "Seen by Mum and Hana"');
    // In a second circle (her grandfather's), she chooses whose circle to share with.
    const harold = await control('/second-circle?person=' + (await session(page)).person_id, 'POST');
    await view(page, 'Share');
    await page.getByLabel('Share with').waitFor({ timeout: T });
    await page.getByLabel('Share with').selectOption({ label: 'Harold (Harold Hughes)' });
    await page.locator('#pick').setInputFiles(path.join(cfg.demo, 'sunset_by_Aitzol_Berasategi.jpg'));
    await page.getByLabel('Caption').fill('Sunset for Grandad');
    await page.getByRole('button', { name: 'Send photos' }).click();
    await page.locator('article', { hasText: 'Sunset for Grandad' }).getByText('Sent').waitFor({ timeout: T });
    if (await control('/count?person=' + harold + '&text=' + encodeURIComponent('Sunset for Grandad')) !== 1) fail("the post did not reach Harold's circle");
    if (await control('/count?text=' + encodeURIComponent('Sunset for Grandad')) !== 0) fail("the post for Harold reached Margaret's circle");
    step("shared into the circle she chose, and only there");
    // Thumbnails, lazily loaded: all but the newest photo, which is asked for first.
    const imgs = await page.locator('#album img').evaluateAll((l) => l.map((i) => [i.loading, i.getAttribute('src') || i.dataset.src]));
    if (imgs[0][0] !== 'eager' || imgs.slice(1).some(([l]) => l !== 'lazy') || imgs.some(([, s]) => !s.endsWith('variant=thumb'))) fail('album images: ' + JSON.stringify(imgs));
    await axe(page, 'the album with photos');
    await shot(page, 'album');
  },

  // An iPhone's HEIC photo: the browser here cannot decode it, so the page sends it as it is and
  // the server turns it into upright JPEG variants (branch heic); Mum sees it upright.
  async heic(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Jo Hughes');
    await view(page, 'Share');
    await page.locator('#pick').setInputFiles(path.join(cfg.repo, 'photo', 'testdata', 'phone-irot-gps.heic'));
    await see(page, '1 photo chosen');
    await page.getByLabel('Caption').fill('The bird, from my iPhone');
    await page.getByRole('button', { name: 'Send photos' }).click();
    const card = page.locator('article', { hasText: 'The bird, from my iPhone' });
    await card.getByText('Seen by Mum').waitFor({ timeout: T });
    await card.getByText('Mum loved this').waitFor({ timeout: T });
    const shown = await card.locator('img').evaluate((i) => [i.naturalWidth, i.naturalHeight]);
    if (!(shown[0] > 0 && shown[1] > shown[0])) fail('the HEIC photo does not show upright: ' + shown);
    if (await control('/count?text=' + encodeURIComponent('The bird, from my iPhone')) !== 1) fail('the HEIC post did not arrive exactly once');
    step(`HEIC shared, shown upright (${shown[0]}×${shown[1]} thumbnail), seen and loved by Mum`);
    await shot(page, 'heic');
  },

  async messages(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Eve Hughes');
    await control('/announce?text=' + encodeURIComponent('Bingo at 3 in the garden room'), 'POST');
    await view(page, 'News');
    await see(page, 'Bingo at 3 in the garden room');
    await view(page, 'Messages');
    await page.getByLabel('Your message to Mum').fill('Hello Mum, we are coming on Sunday');
    await page.getByRole('button', { name: 'Send message' }).click();
    const mine = page.locator('.bubble.mine', { hasText: 'Hello Mum, we are coming on Sunday' });
    await mine.getByText('Seen by Mum').waitFor({ timeout: T });
    await see(page, 'Thank you, dear! I read: Hello Mum, we are coming on Sunday');
    step('message sent, seen by Mum, and Mum answered');
    // A photo in a message.
    await page.locator('#message-photo').setInputFiles(path.join(cfg.demo, 'Dragonfly_by_Bolly.jpg'));
    await page.getByLabel('Your message to Mum').fill('A dragonfly for you');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.locator('.bubble.mine', { hasText: 'A dragonfly for you' }).locator('img').waitFor({ timeout: T });
    await page.locator('.bubble.mine', { hasText: 'A dragonfly for you' }).getByText('Seen by Mum').waitFor({ timeout: T });
    await axe(page, 'a conversation');
    await shot(page, 'messages');
    if (await control('/count?text=' + encodeURIComponent('Hello Mum, we are coming on Sunday')) !== 1) fail('the message did not arrive exactly once');
  },

  // Notices while the page is closed: the page registers its service worker and asks for a
  // push subscription (no push service is reachable here, so the page says in words what it
  // could do); a push delivered to the worker (as the server's JSON) shows as a notification.
  async notifications(browser) {
    const ctx = await browser.newContext(phone);
    await ctx.grantPermissions(['notifications'], { origin: cfg.base });
    const { page } = await join(ctx, 'Kit Hughes');
    await view(page, 'Me');
    await page.getByRole('button', { name: 'Tell me when there is news' }).click();
    const said = page.locator('#push-state');
    for (const deadline = Date.now() + T; ;) {
      const t = await said.textContent();
      if (t.startsWith('Notifications are on') || t.startsWith('This browser could not turn notifications on')) { step('the page says: ' + t); break; }
      if (Date.now() > deadline) fail('notifications: ' + t);
      await page.waitForTimeout(50);
    }
    const cdp = await ctx.newCDPSession(page);
    const regs = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => regs.push(...e.registrations));
    await cdp.send('ServiceWorker.enable');
    for (const deadline = Date.now() + T; !regs.some((r) => r.scopeURL === cfg.base + '/');) {
      if (Date.now() > deadline) fail('no service worker registered for the app');
      await page.waitForTimeout(50);
    }
    const reg = regs.find((r) => r.scopeURL === cfg.base + '/');
    // Headless Chromium closes a shown notification again after a moment (getNotifications
    // lost it before the test looked in 3 runs of 25), so the worker's own showNotification
    // is watched: what it was asked to show, and that showing it succeeded.
    const sw = ctx.serviceWorkers().find((w) => w.url() === cfg.base + '/sw.js') || await ctx.waitForEvent('serviceworker', { timeout: T });
    await sw.evaluate(() => {
      const show = self.registration.showNotification.bind(self.registration);
      self.shownForTest = [];
      self.registration.showNotification = (title, o) => show(title, o).then(() => { self.shownForTest.push({ title, body: o.body, url: o.data.url }); });
    });
    const notice = { title: 'Mum replied', body: 'Open Hearth to read it.', url: '/messages', tag: 'replied-x', kind: 'replied' };
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: cfg.base, registrationId: reg.registrationId, data: JSON.stringify(notice) });
    for (const deadline = Date.now() + T; ;) {
      const shown = await sw.evaluate(() => self.shownForTest);
      if (shown.some((n) => n.title === 'Mum replied' && n.body === 'Open Hearth to read it.' && n.url === '/messages')) break;
      if (Date.now() > deadline) fail('the push showed no notification: ' + JSON.stringify(shown));
      await page.waitForTimeout(25);
    }
    step('a push shows "Mum replied"');
    // Where it leads: /messages opens the conversation.
    await page.goto(cfg.base + '/messages');
    await page.locator('#view-messages').waitFor({ state: 'visible', timeout: T });
    await axe(page, 'the conversation a notice opens');
  },

  async offline(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Finn Hughes');
    await ctx.setOffline(true);
    await see(page, 'Offline');
    await view(page, 'Messages');
    await page.getByLabel('Your message to Mum').fill('Written on the train');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.locator('.bubble.mine', { hasText: 'Written on the train' }).getByText('Waiting to send').waitFor({ timeout: T });
    await view(page, 'Share');
    await page.locator('#pick').setInputFiles(path.join(cfg.demo, 'Bridge_by_Sander_Klootwijk.jpg'));
    await page.getByLabel('Caption').fill('The bridge from the train');
    await page.getByRole('button', { name: 'Send photos' }).click();
    await see(page, '2 things are waiting, and will be sent when this phone is back online.');
    await see(page, 'Waiting to send');
    await axe(page, 'offline with things waiting');
    await shot(page, 'offline');
    step('offline: both wait, in words');
    // Back online, but every upload breaks on the way: nothing is lost, nothing sent twice.
    let broken = 0;
    await page.route('**/v1/**', (route) => {
      if (route.request().method() === 'GET') return route.continue();
      broken++;
      return route.abort('connectionreset');
    });
    await ctx.setOffline(false);
    for (const deadline = Date.now() + T; broken < 1;) {
      if (Date.now() > deadline) fail('no send was tried after going online');
      await page.waitForTimeout(50);
    }
    // The page is closed and opened again: what waits is in IndexedDB.
    await page.reload();
    await see(page, '2 things are waiting to send.');
    step('after a broken upload and a reload, both still wait');
    await page.unroute('**/v1/**');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await view(page, 'Photos');
    await page.locator('article', { hasText: 'The bridge from the train' }).getByText('Seen by Mum').waitFor({ timeout: T });
    await view(page, 'Messages');
    await page.locator('.bubble.mine', { hasText: 'Written on the train' }).getByText('Seen by Mum').waitFor({ timeout: T });
    await see(page, 'Up to date');
    for (const t of ['Written on the train', 'The bridge from the train']) {
      const n = await control('/count?text=' + encodeURIComponent(t));
      if (n !== 1) fail(`"${t}" reached the resident ${n} times`);
    }
    step('back online: both arrived exactly once');
  },

  // What the person calls the resident goes with the push subscription, and again when it is
  // changed, so that notices say "Mum replied". No push service is reachable here: the browser's
  // subscribe is replaced by one giving a subscription as browsers make them (a real P-256 key).
  async 'push-names'(browser) {
    const ctx = await browser.newContext(phone);
    await ctx.grantPermissions(['notifications'], { origin: cfg.base });
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const keys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
    await ctx.addInitScript((k) => {
      let sub = null;
      const made = () => ({ toJSON: () => sub, endpoint: sub.endpoint });
      PushManager.prototype.subscribe = async () => {
        sub = { endpoint: 'https://push.example.org/hearth-webtest', expirationTime: null, keys: k };
        return made();
      };
      PushManager.prototype.getSubscription = async () => (sub ? made() : null);
    }, keys);
    const { page } = await join(ctx, 'Nia Hughes');
    const me = (await session(page)).person_id;
    const names = async (want) => {
      for (const deadline = Date.now() + T; ;) {
        const got = await control('/push-names?person=' + me);
        if (got.length === 1 && Object.values(got[0] || {}).join() === want) return;
        if (Date.now() > deadline) fail(`the server keeps ${JSON.stringify(got)} for the subscription; want ${want}`);
        await page.waitForTimeout(50);
      }
    };
    await view(page, 'Me');
    await page.getByRole('button', { name: 'Tell me when there is news' }).click();
    await see(page, 'Notifications are on for this phone.');
    await names('Mum');
    step('the subscription went with "Mum"');
    await page.getByLabel('What do you call Margaret Hughes?').fill('Mother');
    await page.getByRole('button', { name: 'Save' }).click();
    await names('Mother');
    step('changed to "Mother": the server has it');
  },

  // On a slow link the album's first photo must not wait for the app's scripts: the page asks
  // for the session and the feed itself (preloads), and first.js asks for the newest photo as
  // soon as the feed is in. Here app.js never arrives, and the photo is asked for all the same;
  // with app.js, the preloaded answers are used (each asked for once) and the album shows.
  async 'first-photo'(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Lou Hughes');
    await view(page, 'Share');
    await page.locator('#pick').setInputFiles(path.join(cfg.demo, 'Wine_by_Jakkub_Mede.jpg'));
    await page.getByLabel('Caption').fill('The newest photo');
    await page.getByRole('button', { name: 'Send photos' }).click();
    await page.locator('article', { hasText: 'The newest photo' }).getByText('Seen by Mum').waitFor({ timeout: T });
    const feed = await page.evaluate(async () => (await fetch('/v1/sync?limit=1000')).json());
    const sha = feed.changes.find((c) => c.kind === 'post' && c.data.caption === 'The newest photo').data.photos[0].sha256;
    const thumb = '/v1/blobs/' + sha + '?variant=thumb';

    const fresh = await browser.newContext(phone); // no cache, no service worker: a first visit
    await fresh.addCookies(await ctx.cookies());
    const open = async (withApp) => {
      const p = await fresh.newPage();
      const asked = [];
      p.on('request', (r) => { const u = new URL(r.url()); asked.push(u.pathname + u.search); });
      if (!withApp) await p.route('**/app/app.js', () => {}); // never answered
      await p.goto(cfg.base + '/', { waitUntil: 'commit' });
      return { p, asked };
    };
    const once = (asked, what) => {
      const n = asked.filter((u) => u === what).length;
      if (n !== 1) fail(`${what} asked for ${n} times: ${asked.join(' ')}`);
    };
    const bare = await open(false);
    for (const deadline = Date.now() + T; !bare.asked.includes(thumb);) {
      if (Date.now() > deadline) fail('without app.js the newest photo was not asked for: ' + bare.asked.join(' '));
      await bare.p.waitForTimeout(25);
    }
    once(bare.asked, '/web/session');
    once(bare.asked, '/v1/sync?limit=1000');
    step('the newest photo is asked for before the app\'s script has arrived');
    await bare.p.close();
    const full = await open(true);
    await full.p.locator('article', { hasText: 'The newest photo' }).locator('img').first().waitFor({ timeout: T });
    await see(full.p, 'Up to date');
    once(full.asked, '/web/session');
    once(full.asked, '/v1/sync?limit=1000'); // (then the long-poll, with since=)
    step('with the app, the preloaded session and feed are used: each asked for once');
    await fresh.close();
  },

  // Opening the page with no signal: the service worker kept the app's own files on the first
  // visit, so the page opens, says it is offline and shows what waits; a message written then
  // goes out once when the phone is back online. The worker keeps nothing of the API or photos.
  async 'offline-open'(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Ivy Hughes');
    await until(page, 'the service worker to be active', async () => {
      const r = await navigator.serviceWorker.getRegistration('/');
      return !!(r && r.active && r.active.state === 'activated');
    });
    await ctx.setOffline(true);
    const resp = await page.reload();
    if (!resp || !resp.fromServiceWorker()) fail('the page opened offline did not come from the service worker');
    await see(page, 'Offline. Hearth will catch up when this phone is back online.');
    await see(page, 'The album shows when this phone is back online.');
    await axe(page, 'the page opened offline');
    await shot(page, 'opened-offline');
    step('opened with no signal: the page shows and says it is offline');
    await view(page, 'Messages');
    await page.getByLabel('Your message to Mum').fill('Written with no signal');
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.locator('.bubble.mine', { hasText: 'Written with no signal' }).getByText('Waiting to send').waitFor({ timeout: T });
    await see(page, '1 thing is waiting, and will be sent when this phone is back online.');
    // Opened again, still offline: what waits is still there and shown.
    await page.reload();
    await see(page, '1 thing is waiting, and will be sent when this phone is back online.');
    step('written offline, kept across another offline opening');
    const kept = await page.evaluate(async () => {
      const urls = [];
      for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname + new URL(r.url).search);
      return urls;
    });
    if (kept.some((u) => u.startsWith('/v1/') || u.startsWith('/web/') || u.startsWith('/join')) || !kept.includes('/app/app.js')) fail('the service worker keeps ' + kept.join(', '));
    step('the worker keeps only the app\'s files: ' + kept.join(' '));
    await ctx.setOffline(false);
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await view(page, 'Messages');
    await page.locator('.bubble.mine', { hasText: 'Written with no signal' }).getByText('Seen by Mum').waitFor({ timeout: T });
    await see(page, 'Up to date');
    const n = await control('/count?text=' + encodeURIComponent('Written with no signal'));
    if (n !== 1) fail(`the message reached the resident ${n} times`);
    step('back online: it arrived exactly once');
  },

  // Disconnected while offline: opened again with no signal, the page shows what it kept; back
  // online, it says the phone is no longer connected and forgets what it kept.
  async 'offline-disconnect'(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Jay Hughes');
    await until(page, 'the service worker to be active', async () => {
      const r = await navigator.serviceWorker.getRegistration('/');
      return !!(r && r.active && r.active.state === 'activated');
    });
    const s = await session(page);
    await ctx.setOffline(true);
    await control('/revoke?device=' + s.device_id, 'POST');
    await page.reload();
    await see(page, 'Offline. Hearth will catch up when this phone is back online.');
    await ctx.setOffline(false);
    await see(page, 'This phone is no longer connected');
    if (await page.evaluate(() => localStorage.getItem('hearth.shell')) !== null) fail('a disconnected phone still keeps what it opens offline with');
    await page.reload();
    await see(page, 'This phone is no longer connected');
    step('disconnected while offline: back online, the page says so');
  },

  async disconnect(browser) {
    const ctx = await browser.newContext(phone);
    const { page } = await join(ctx, 'Gus Hughes');
    const s = await session(page);
    await control('/revoke?device=' + s.device_id, 'POST');
    await see(page, 'This phone is no longer connected');
    await see(page, 'ask the care home for a new invitation link');
    step('staff disconnected the phone: the page says so');
    await page.reload();
    await see(page, 'This phone is no longer connected');
    const text = await page.locator('body').innerText();
    if (/\b(401|unauthorized|Error)\b/.test(text)) fail('technical words on the page: ' + text);
    await axe(page, 'a disconnected phone');
    await shot(page, 'disconnected');
    const status = await page.evaluate(async () => (await fetch('/v1/sync')).status);
    if (status !== 401) fail('a revoked browser still reads the feed: ' + status);
  },
};

// bench: the album on a slow mobile link (400 kbit/s, 400 ms), with a cold cache: how long until
// the first photo shows, what the page costs without photos, and how many thumbnails it fetched
// (lazy: only those near the screen). Prints one JSON line for BenchmarkAlbumOnSlowMobile.
scenarios.bench = async (browser) => {
  const open = cfg.open || cfg.base; // where the cold page opens the album (bench_test.go: before and after)
  const warm = await browser.newContext(phone);
  const { page } = await join(warm, cfg.name);
  await page.locator('#album article').first().waitFor({ timeout: T });
  const cookies = await warm.cookies();
  const ctx = await browser.newContext(phone);
  await ctx.addCookies(cookies);
  const cold = await ctx.newPage();
  const cdp = await ctx.newCDPSession(cold);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 400, downloadThroughput: 400000 / 8, uploadThroughput: 400000 / 8 });
  const urls = new Map();
  let t0 = Date.now();
  let pageBytes = 0, photoBytes = 0, thumbs = 0;
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
  cdp.on('Network.loadingFinished', (e) => {
    const u = urls.get(e.requestId) || '';
    if (process.env.BENCH_DEBUG) console.log(Date.now() - t0, u.replace(open, ''), e.encodedDataLength);
    if (u.includes('/v1/blobs/')) { photoBytes += e.encodedDataLength; if (u.includes('variant=thumb')) thumbs++; } else pageBytes += e.encodedDataLength;
  });
  t0 = Date.now();
  await cold.goto(open + '/', { waitUntil: 'commit' });
  await until(cold, 'the first photo', () => { const i = document.querySelector('#album article img'); return i && i.complete && i.naturalWidth > 0; }, 60000);
  const usable = Date.now() - t0;
  await cold.waitForLoadState('load');
  const posts = await cold.locator('#album article').count();
  console.log('BENCH ' + JSON.stringify({ album_usable_ms: usable, page_bytes: pageBytes, photo_bytes: photoBytes, thumbs_loaded: thumbs, posts }));
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--ignore-certificate-errors'],
});
try {
  await scenarios[cfg.scenario](browser);
  await neverTwice();
  step('done');
} finally {
  await browser.close();
}
