// The service worker does two things:
//
// 1. It keeps the app's own files (the shell: the page, its scripts, style, fonts, icon), so that
//    a family member who opens Hearth with no signal sees the page and what is waiting to send
//    instead of the browser's error. Always network first: online, every file comes from the
//    server (and the kept copy is refreshed); the kept copy is used only when the network fails.
//    Nothing else is kept: the API (/v1/, /web/), photos and the join page go straight to the
//    network, so a phone that was disconnected never shows anyone's photos or messages from
//    here, and says so as soon as it is online.
// 2. Notices while the page is closed ("Mum replied", "Mum saw your photos"), sent by the care
//    home's server as Web Push.
const CACHE = 'hearth-shell-1';
const PAGE = '/'; // index.html; /messages and /album (where notices lead) are the same page
const SHELL = [PAGE, '/app/style.css', '/app/first.js', '/app/app.js', '/app/api.js', '/app/outbox.js',
  '/app/AtkinsonHyperlegible-Regular.woff2', '/app/AtkinsonHyperlegible-Bold.woff2', '/app/icon.png',
  '/manifest.webmanifest'];
const PAGES = new Set(['/', '/messages', '/album']);

self.addEventListener('install', (event) => {
  // cache: 'no-cache' revalidates with the server (a 304 costs a few bytes).
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL.map((u) => new Request(u, { cache: 'no-cache' }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) if (k !== CACHE) await caches.delete(k);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.search) return;
  let key = null;
  if (req.mode === 'navigate' && PAGES.has(url.pathname)) key = PAGE;
  else if (req.mode !== 'navigate' && SHELL.includes(url.pathname) && url.pathname !== PAGE) key = url.pathname;
  if (!key) return; // the API, photos, the join page: the network only, never kept
  event.respondWith((async () => {
    try {
      const r = await fetch(req);
      if (r.ok && r.type === 'basic' && !r.redirected) {
        const copy = r.clone();
        event.waitUntil(caches.open(CACHE).then((c) => c.put(key, copy)));
      }
      return r;
    } catch (e) {
      const kept = await caches.match(key, { cacheName: CACHE });
      if (kept) return kept;
      throw e;
    }
  })());
});

self.addEventListener('push', (event) => {
  let m = {};
  try { m = event.data ? event.data.json() : {}; } catch (e) { m = {}; }
  const title = m.title || 'Hearth';
  event.waitUntil(self.registration.showNotification(title, {
    body: m.body || 'Open Hearth to see what is new.', tag: m.tag || 'hearth',
    icon: '/app/icon.png', data: { url: m.url || '/' },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL((event.notification.data && event.notification.data.url) || '/', self.location.origin).href;
  event.waitUntil((async () => {
    for (const c of await self.clients.matchAll({ type: 'window' })) {
      if ('focus' in c) { await c.navigate(url); return c.focus(); }
    }
    return self.clients.openWindow(url);
  })());
});
