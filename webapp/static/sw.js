// The service worker exists for one thing: notices while the page is closed ("Mum replied",
// "Mum saw your photos"), sent by the care home's server as Web Push. It caches nothing.
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
