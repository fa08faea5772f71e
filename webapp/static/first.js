// What the album needs first, started the moment this small module arrives, before the rest of
// the app (app.js) has: the session, the first page of the feed (both preloaded by index.html)
// and, as soon as the feed is in, the newest photo's thumbnail, which the album shows first. On
// a slow link the photo then travels beside the app's scripts instead of after them.

// fetchJSON GETs a JSON answer; a failure throws {code, status} ('offline' when unreachable).
// A GET carries no header of the app's own (X-Hearth-Web is for changes), so that these requests
// are the ones index.html preloaded.
export async function fetchJSON(path, signal) {
  let r;
  try {
    r = await fetch(path, { credentials: 'same-origin', signal });
  } catch (e) {
    throw { code: 'offline', status: 0 };
  }
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw { code: (data.error || {}).code, status: r.status };
  return data;
}

export const firstSession = fetchJSON('/web/session');
export const firstPull = fetchJSON('/v1/sync?limit=1000');
firstSession.catch(() => {});
firstPull.then((r) => {
  // The newest post, as the album sorts them, and its first photo.
  const posts = new Map();
  for (const c of r.changes || []) {
    if (c.kind !== 'post') continue;
    if (c.op === 'put') posts.set(c.id, c.data || {}); else posts.delete(c.id);
  }
  let newest = null;
  for (const p of posts.values()) if (!newest || (p.created_at || '') > (newest.created_at || '')) newest = p;
  const ref = newest && (newest.photos || [])[0];
  if (!ref || !/^[0-9a-f]{64}$/.test(ref.sha256 || '')) return;
  const link = document.createElement('link');
  link.rel = 'preload';
  link.as = 'image';
  link.href = '/v1/blobs/' + ref.sha256 + '?variant=thumb';
  link.setAttribute('fetchpriority', 'high');
  document.head.append(link);
}).catch(() => {});
