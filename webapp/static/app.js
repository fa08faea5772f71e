// The family web app: the album of the circle, sharing photos, messages with the resident, the
// home's news and the person's own photo. Data comes from the same change feed as the Hearth
// app (GET /v1/sync, long-polled); what the person sends waits in the outbox (IndexedDB) until
// the care home has it.
import { call, el, firstName, callName, setCallName } from '/app/api.js';
import { Outbox, newID, prepare } from '/app/outbox.js';
import { fetchJSON, firstSession as asked, firstPull as pulled } from '/app/first.js';

const $ = (id) => document.getElementById(id);
const S = {
  me: '', deviceId: '', facility: '', cursor: '', online: true, gone: false, view: 'photos',
  people: new Map(), circles: new Map(), members: new Map(), posts: new Map(), messages: new Map(),
  reactions: new Map(), seen: new Map(), news: new Map(), devices: new Map(),
  waiting: [], sending: null, errors: new Map(), who: '',
  loaded: false, // the feed has answered once since the page opened
  fromShell: false, // opened offline: circles and names are the remembered ones (see openOffline)
};
const outbox = new Outbox();
let picked = [];

// ---- words ----
function when(t) {
  const d = new Date(t), now = new Date();
  if (now - d < 120000) return 'Just now';
  const time = d.toLocaleTimeString('en-GB', { hour: 'numeric', minute: '2-digit' });
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate());
  const days = Math.round((day(now) - day(d)) / 86400000);
  if (days === 0) return 'Today at ' + time;
  if (days === 1) return 'Yesterday at ' + time;
  if (days < 7) return d.toLocaleDateString('en-GB', { weekday: 'long' }) + ' at ' + time;
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
}
function andList(names) {
  if (names.length < 2) return names.join('');
  return names.slice(0, -1).join(', ') + ' and ' + names[names.length - 1];
}
function residents() {
  const list = [];
  for (const c of S.circles.values()) {
    if (S.members.has(c.id + '/' + S.me) && c.resident_id !== S.me) list.push(c.resident_id);
  }
  return list;
}
// nameOf says who someone is to this person: "You", what they call the resident ("Mum"), or a first name.
function nameOf(id) {
  if (id === S.me) return 'You';
  const p = S.people.get(id);
  const first = p ? firstName(p.name) : 'Someone';
  if (p && p.role === 'resident') return callName(id, first);
  return first;
}
function seenBy(targetId, author) {
  const who = [...(S.seen.get(targetId) || [])].filter((p) => p !== author && p !== S.me);
  const res = new Set(residents());
  who.sort((a, b) => (res.has(b) ? 1 : 0) - (res.has(a) ? 1 : 0)); // the resident first
  return who.map(nameOf);
}
function answers(targetId) {
  const out = [];
  for (const r of S.reactions.values()) {
    if (r.target_id !== targetId || r.author_id === S.me) continue;
    const verb = r.kind === 'heart' ? 'loved this' : r.kind === 'smile' ? 'smiled at this' : 'answered this';
    out.push(nameOf(r.author_id) + ' ' + verb);
  }
  return out;
}
// photoImg is a photo's thumbnail (400 px, loaded only when it scrolls near), opening the large
// one when tapped: over mobile data an album costs thumbnails only.
// On a slow link the newest photo comes first: the others get their address only once it has
// arrived (or failed), so that they do not share the link with it.
let firstShown = false;
const held = [];
function releaseHeld() {
  firstShown = true;
  document.documentElement.classList.add('fonts');
  for (const img of held.splice(0)) img.src = img.dataset.src;
}
function photoImg(ref, alt, first) {
  const src = '/v1/blobs/' + ref.sha256 + '?variant=thumb';
  const img = el('img', {
    loading: first ? 'eager' : 'lazy', fetchpriority: first ? 'high' : 'auto', decoding: 'async', alt,
    width: String(ref.width || 400), height: String(ref.height || 300),
  });
  if (first || firstShown) img.src = src;
  else { img.dataset.src = src; held.push(img); }
  if (first && !firstShown) {
    img.addEventListener('load', releaseHeld, { once: true });
    img.addEventListener('error', releaseHeld, { once: true });
    setTimeout(releaseHeld, 5000);
  }
  return el('a', { href: '/v1/blobs/' + ref.sha256 + '?variant=display', target: '_blank', rel: 'noopener' }, img);
}

// ---- the feed ----
function apply(c) {
  const d = c.data || {};
  const put = c.op === 'put';
  const set = (m, key, v) => (put ? m.set(key, v) : m.delete(key));
  switch (c.kind) {
    case 'person': set(S.people, c.id, d); break;
    case 'circle': set(S.circles, c.id, d); break;
    case 'member': set(S.members, c.id, d); break;
    case 'post': set(S.posts, c.id, d); if (!put) dropAnswers(c.id); break;
    case 'message': set(S.messages, c.id, d); if (!put) dropAnswers(c.id); break;
    case 'announcement': set(S.news, c.id, d); if (!put) dropAnswers(c.id); break;
    case 'reaction': set(S.reactions, c.id, d); break;
    case 'seen':
      if (put) {
        if (!S.seen.has(d.target_id)) S.seen.set(d.target_id, new Set());
        S.seen.get(d.target_id).add(d.person_id);
      }
      break;
    case 'device':
      set(S.devices, c.id, d);
      if (c.id === S.deviceId && d.revoked_at) S.gone = true;
      break;
  }
}
function dropAnswers(id) {
  S.seen.delete(id);
  for (const [k, r] of S.reactions) if (r.target_id === id) S.reactions.delete(k);
}

let poll = null;
// The first page of the feed was asked for at once, beside the session (first.js); syncLoop
// takes it.
let firstPull = pulled, firstSession = asked;
async function syncLoop() {
  let backoff = 1000;
  for (;;) {
    if (S.gone) return;
    poll = new AbortController();
    try {
      const q = new URLSearchParams({ limit: '1000' });
      if (S.cursor) { q.set('since', S.cursor); q.set('wait', '25'); }
      const pending = firstPull;
      firstPull = null;
      const r = await (pending || fetchJSON('/v1/sync?' + q, poll.signal));
      if (S.fromShell) { resetMirror(); S.fromShell = false; } // the server's word replaces what was remembered
      S.loaded = true;
      for (const c of r.changes) apply(c);
      S.cursor = r.next;
      setOnline(true);
      backoff = 1000;
      if (S.gone) return disconnected();
      render();
      flush();
    } catch (e) {
      if (e.status === 401) return disconnected();
      if (e.code === 'cursor_reset') { resetMirror(); continue; }
      setOnline(navigator.onLine && e.code !== 'offline' ? S.online : false);
      await pause(backoff);
      backoff = Math.min(backoff * 2, 15000);
    }
  }
}
function resetMirror() {
  S.cursor = '';
  for (const k of ['people', 'circles', 'members', 'posts', 'messages', 'reactions', 'seen', 'news', 'devices']) S[k].clear();
}
// pause waits ms, or until the phone is back online.
function pause(ms) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); removeEventListener('online', done); resolve(); };
    const t = setTimeout(done, ms);
    addEventListener('online', done);
  });
}
addEventListener('offline', () => { setOnline(false); if (poll) poll.abort(); });
addEventListener('online', () => { flush(); });

function setOnline(on) {
  S.online = on;
  renderStatus();
}

// ---- the outbox ----
let flushing = false, again = false;
async function flush() {
  if (flushing) { again = true; return; }
  flushing = true;
  try {
    do {
      again = false;
      for (const entry of await outbox.all()) {
        if (S.gone) return;
        if (S.errors.has(entry.id) || entry.person !== S.me) continue;
        const ok = await send(entry);
        // A broken upload is tried again soon; only the browser's word says the phone is offline.
        if (ok === 'offline') { if (!navigator.onLine) setOnline(false); scheduleRetry(); return; }
      }
    } while (again);
  } finally {
    flushing = false;
    S.sending = null;
    await refreshWaiting();
  }
}
let retryTimer = null;
function scheduleRetry() {
  if (retryTimer) return;
  retryTimer = setTimeout(() => { retryTimer = null; flush(); }, 5000);
}

// send delivers one entry: its photos, then the item under its id. Returns 'sent', 'offline'
// (kept for later) or 'refused' (kept, with the server's sentence, until the person removes it).
async function send(entry) {
  const total = entry.photos.length;
  try {
    for (let i = 0; i < total; i++) {
      S.sending = { id: entry.id, index: i + 1, total };
      renderWaiting();
      await call('PUT', '/v1/blobs/' + entry.photos[i].sha, entry.photos[i].blob);
    }
    S.sending = { id: entry.id, index: total, total, item: true };
    renderWaiting();
    if (entry.kind === 'post') await call('PUT', '/v1/posts/' + entry.id, entry.body);
    else if (entry.kind === 'message') await call('PUT', '/v1/messages/' + entry.id, entry.body);
    else if (entry.kind === 'avatar') await call('PUT', '/v1/people/' + S.me + '/avatar', entry.body);
  } catch (p) {
    if (p.status === 401) { disconnected(); return 'offline'; }
    if (p.code === 'offline' || p.status === 0 || p.status >= 500 || p.status === 429 || p.status === 408) return 'offline';
    S.errors.set(entry.id, p.message);
    return 'refused';
  }
  await outbox.remove(entry.id);
  S.waiting = S.waiting.filter((w) => w.id !== entry.id);
  // Shown as sent at once; the feed brings the same item back (and later who saw it).
  const made = new Date(entry.made).toISOString();
  if (entry.kind === 'post') {
    apply({ kind: 'post', op: 'put', id: entry.id, data: { id: entry.id, circle_id: entry.body.circle_id, author_id: S.me,
      caption: entry.body.caption, photos: entry.photos.map((p) => ({ sha256: p.sha })), created_at: made } });
  } else if (entry.kind === 'message') {
    apply({ kind: 'message', op: 'put', id: entry.id, data: { id: entry.id, from: S.me, to: entry.body.to, text: entry.body.text,
      photo: entry.body.photo ? { sha256: entry.body.photo } : undefined, created_at: made } });
  }
  render();
  return 'sent';
}

async function enqueue(entry) {
  entry.made = Date.now();
  entry.person = S.me;
  await outbox.put(entry);
  await refreshWaiting();
  flush();
}
async function refreshWaiting() {
  S.waiting = (await outbox.all()).filter((e) => e.person === S.me);
  renderWaiting();
  renderStatus();
}

// ---- rendering ----
function render() {
  if (S.gone) return;
  if (S.loaded) remember();
  const me = S.people.get(S.me);
  $('title').textContent = S.facility ? 'Hearth at ' + S.facility : 'Hearth';
  renderAlbum();
  renderMessages();
  renderNews();
  renderMe(me);
  renderCircles();
  renderWaiting();
  renderStatus();
}
function renderStatus() {
  const s = $('status');
  const n = S.waiting.length;
  const things = n === 1 ? '1 thing is' : n + ' things are';
  s.classList.toggle('offline', !S.online);
  if (!S.online) {
    s.textContent = n ? 'Offline. ' + things + ' waiting, and will be sent when this phone is back online.'
      : 'Offline. Hearth will catch up when this phone is back online.';
  } else if (S.sending) {
    s.textContent = S.sending.item || !S.sending.total ? 'Sending…' : 'Sending photo ' + S.sending.index + ' of ' + S.sending.total;
  } else if (n) {
    s.textContent = things + ' waiting to send.' + (outbox.kept === false ? ' Keep this page open until it is sent: this browser cannot keep it when closed.' : '');
  } else {
    s.textContent = 'Up to date';
  }
}
function entryState(entry) {
  if (S.errors.has(entry.id)) return 'Not sent: ' + S.errors.get(entry.id);
  if (S.sending && S.sending.id === entry.id) {
    if (S.sending.item || !S.sending.total) return 'Sending';
    return 'Sending photo ' + S.sending.index + ' of ' + S.sending.total;
  }
  return 'Waiting to send';
}
const previews = new Map();
function preview(entryId, i, blob) {
  const k = entryId + '/' + i;
  if (!previews.has(k)) previews.set(k, URL.createObjectURL(blob));
  return previews.get(k);
}
function waitingCard(entry) {
  const label = entry.kind === 'post' ? (entry.photos.length === 1 ? 'Your photo' : 'Your ' + entry.photos.length + ' photos')
    : entry.kind === 'message' ? 'Your message' : 'Your new photo of yourself';
  const photos = entry.photos.map((p, i) => el('img', { src: preview(entry.id, i, p.blob), alt: 'Photo ' + (i + 1) + ' waiting to be sent' }));
  const state = entryState(entry);
  return el('div', { class: 'card', 'data-outbox': entry.id },
    el('p', {}, el('strong', {}, label), entry.body.caption ? ' — ' + entry.body.caption : '', entry.body.text ? ' — ' + entry.body.text : ''),
    photos.length ? el('div', { class: 'picked' }, photos) : null,
    el('p', { class: 'state waiting' }, state),
    S.errors.has(entry.id) ? el('button', { type: 'button', class: 'quiet', onclick: async () => {
      await outbox.remove(entry.id); S.errors.delete(entry.id); refreshWaiting();
    } }, 'Remove this') : null);
}
function renderWaiting() {
  // One the feed already brought back (its reply still on the way) shows once, as sent.
  const posts = S.waiting.filter((e) => e.kind !== 'message' && !S.posts.has(e.id));
  for (const box of [$('waiting-photos'), $('waiting-share')]) {
    box.replaceChildren(...(posts.length ? [el('h3', {}, 'Waiting to send'), ...posts.map(waitingCard)] : []));
  }
  renderMessages();
  renderStatus();
}
function postState(p) {
  if (p.author_id !== S.me) return null;
  const seen = seenBy(p.id, p.author_id);
  return el('p', { class: 'state' }, seen.length ? 'Seen by ' + andList(seen) : 'Sent');
}
const cards = new Map(); // post id → { sig, node }: a card is made again only when what it shows changed
const shown = new IntersectionObserver((entries) => {
  // Shown is seen, as in the app: the others of the circle then see "Seen by" their names.
  const ids = entries.filter((e) => e.isIntersecting).map((e) => e.target.closest('[data-post],[data-news]'))
    .map((n) => n && (n.dataset.post || n.dataset.news)).filter(Boolean);
  markSeen(ids.filter((id) => !(S.seen.get(id) || new Set()).has(S.me)));
}, { threshold: 0.5 });
function renderAlbum() {
  const posts = [...S.posts.values()].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  const list = posts.map((p, i) => {
    const sig = JSON.stringify([p.caption, p.photos, answers(p.id), postState(p)?.textContent, when(p.created_at), nameOf(p.author_id)]);
    const old = cards.get(p.id);
    if (old && old.sig === sig) return old.node;
    if (old) shown.unobserve(old.node.querySelector('img') || old.node);
    const node = albumCard(p, i === 0);
    cards.set(p.id, { sig, node });
    if (p.author_id !== S.me) shown.observe(node.querySelector('img') || node); // a tall card is never half in view: its first photo is
    return node;
  });
  for (const [id, c] of cards) if (!S.posts.has(id)) { shown.unobserve(c.node.querySelector('img') || c.node); cards.delete(id); }
  for (const n of list.slice(1)) for (const img of n.querySelectorAll('img')) img.loading = 'lazy'; // no longer the newest
  const album = $('album');
  if (!S.loaded) { album.replaceChildren(el('p', {}, 'The album shows when this phone is back online.')); return; }
  if (!list.length) { releaseHeld(); album.replaceChildren(el('p', {}, 'No photos yet. Share the first one with Share.')); return; }
  if (list.length !== album.children.length || list.some((n, i) => album.children[i] !== n)) album.replaceChildren(...list);
}
function albumCard(p, first) {
  {
    const by = nameOf(p.author_id);
    const alt = p.caption ? 'Photo: ' + p.caption : 'Photo from ' + (by === 'You' ? 'you' : by);
    const ans = answers(p.id);
    return el('article', { class: 'card', 'data-post': p.id },
      el('div', { class: 'photos' }, (p.photos || []).map((ref, i) => photoImg(ref, (p.photos.length > 1 ? (i + 1) + ' of ' + p.photos.length + '. ' : '') + alt, first && i === 0))),
      p.caption ? el('p', {}, p.caption) : null,
      el('p', { class: 'meta' }, 'From ' + (by === 'You' ? 'you' : by) + ' · ' + when(p.created_at)),
      ans.length ? el('p', { class: 'answer' }, ans.join(' · ')) : null,
      postState(p));
  }
}
function renderCircles() {
  const mine = [...S.circles.values()].filter((c) => S.members.has(c.id + '/' + S.me));
  const sel = $('circle');
  const cur = sel.value;
  sel.replaceChildren(...mine.map((c) => el('option', { value: c.id }, c.resident_id === S.me ? 'My circle' : nameOf(c.resident_id) + ' (' + c.name + ')')));
  if (cur) sel.value = cur;
  $('circle-choice').hidden = mine.length < 2;
  const who = $('who');
  const people = residents();
  const wcur = who.value || S.who;
  who.replaceChildren(...people.map((id) => el('option', { value: id }, nameOf(id))));
  if (wcur) who.value = wcur;
  $('who-choice').hidden = people.length < 2;
}
function renderMessages() {
  const other = $('who').value || residents()[0];
  if (!other) {
    $('conversation').replaceChildren(el('p', {}, 'When you are in a circle, your messages with the resident show here.'));
    return;
  }
  $('message-label').textContent = 'Your message to ' + nameOf(other);
  const msgs = [...S.messages.values()].filter((m) => (m.from === S.me && m.to === other) || (m.from === other && m.to === S.me))
    .sort((a, b) => (a.created_at || '').localeCompare(b.created_at || ''));
  const bubbles = msgs.map((m) => {
    const mine = m.from === S.me;
    const seen = mine ? seenBy(m.id, m.from) : [];
    const ans = answers(m.id);
    return el('div', { class: 'bubble' + (mine ? ' mine' : ''), 'data-message': m.id },
      m.photo ? photoImg(m.photo, 'Photo from ' + (mine ? 'you' : nameOf(m.from))) : null,
      m.text ? el('p', {}, m.text) : null,
      el('p', { class: 'meta' }, (mine ? 'You' : nameOf(m.from)) + ' · ' + when(m.created_at)),
      ans.length ? el('p', { class: 'answer' }, ans.join(' · ')) : null,
      mine ? el('p', { class: 'state' }, seen.length ? 'Seen by ' + andList(seen) : 'Sent') : null);
  });
  for (const e of S.waiting.filter((w) => w.kind === 'message' && w.body.to === other && !S.messages.has(w.id))) {
    bubbles.push(el('div', { class: 'bubble mine', 'data-outbox': e.id },
      e.photos.length ? el('img', { src: preview(e.id, 0, e.photos[0].blob), alt: 'Your photo, waiting to be sent' }) : null,
      e.body.text ? el('p', {}, e.body.text) : null,
      el('p', { class: 'state waiting' }, entryState(e)),
      S.errors.has(e.id) ? el('button', { type: 'button', class: 'quiet', onclick: async () => {
        await outbox.remove(e.id); S.errors.delete(e.id); refreshWaiting();
      } }, 'Remove this') : null));
  }
  const none = S.loaded ? 'No messages yet. Write the first one below.'
    : 'Your messages show when this phone is back online. You can write one now: it is sent then.';
  $('conversation').replaceChildren(...(bubbles.length ? bubbles : [el('p', {}, none)]));
  if (S.view === 'messages') markSeen(msgs.filter((m) => m.from !== S.me && !(S.seen.get(m.id) || new Set()).has(S.me)).map((m) => m.id));
}
const marking = new Set();
function markSeen(ids) {
  ids = ids.filter((id) => !marking.has(id));
  if (!ids.length || !S.online) return;
  ids.forEach((id) => marking.add(id));
  call('POST', '/v1/seen', { ids }).catch(() => ids.forEach((id) => marking.delete(id)));
}
function renderNews() {
  const news = [...S.news.values()].sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
  if (!S.loaded) { $('news').replaceChildren(el('p', {}, 'The news shows when this phone is back online.')); return; }
  $('news').replaceChildren(...(news.length ? news.map((n) => el('article', { class: 'card', 'data-news': n.id },
    n.photo ? photoImg(n.photo, 'Photo with the news') : null,
    el('p', {}, n.text),
    el('p', { class: 'meta' }, 'From ' + nameOf(n.author_id) + ' · ' + when(n.created_at)))) : [el('p', {}, 'No news from the care home yet.')]));
  for (const a of $('news').querySelectorAll('[data-news]')) shown.observe(a);
}
function renderMe(me) {
  if (!me) return;
  $('my-name').textContent = me.name;
  const img = $('my-photo');
  if (me.avatar) { img.src = '/v1/blobs/' + me.avatar + '?variant=thumb'; img.hidden = false; } else img.hidden = true;
  const dev = S.devices.get(S.deviceId);
  $('device-line').textContent = dev ? 'This phone is connected to Hearth as “' + dev.name + '”.' : '';
  const rows = residents().map((id) => {
    const p = S.people.get(id);
    const input = el('input', { type: 'text', id: 'call-' + id, value: callName(id, ''), maxlength: '40', autocomplete: 'off' });
    return el('div', {},
      el('label', { for: 'call-' + id }, 'What do you call ' + (p ? p.name : 'them') + '?'),
      el('div', { class: 'row' }, input, el('button', { type: 'button', class: 'quiet', onclick: () => { setCallName(id, input.value.trim()); render(); resendNames(); } }, 'Save')));
  });
  if (!document.activeElement || !document.activeElement.id.startsWith('call-')) $('names').replaceChildren(...rows);
}

function showView(v) {
  S.view = v;
  for (const b of document.querySelectorAll('nav button')) {
    if (b.dataset.view === v) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  for (const s of document.querySelectorAll('[id^=view-]')) s.hidden = s.id !== 'view-' + v;
  renderMessages();
}

// ---- the person's actions ----
function photosPicked(files) {
  for (const f of files) picked.push(f);
  $('picked').replaceChildren(...picked.map((f, i) => el('img', { src: URL.createObjectURL(f), alt: 'Chosen photo ' + (i + 1) })),
    picked.length ? el('p', {}, picked.length === 1 ? '1 photo chosen' : picked.length + ' photos chosen') : '');
}
async function sharePhotos(ev) {
  ev.preventDefault();
  const caption = $('caption').value.trim();
  if (!picked.length && !caption) { $('status').textContent = 'Choose a photo first, or write a caption.'; return; }
  const circle = $('circle').value;
  if (!circle) { $('status').textContent = 'You are not in a circle yet, so there is nobody to share with.'; return; }
  $('send-photos').disabled = true;
  $('status').textContent = 'Getting your photos ready…';
  try {
    const photos = [];
    for (const f of picked.slice(0, 20)) photos.push(await prepare(f));
    const uniq = [...new Map(photos.map((p) => [p.sha, p])).values()];
    await enqueue({ id: newID(), kind: 'post', photos: uniq, body: { circle_id: circle, caption, photos: uniq.map((p) => p.sha) } });
    picked = [];
    $('pick').value = ''; $('camera').value = ''; $('caption').value = '';
    $('picked').replaceChildren();
    showView('photos');
  } finally {
    $('send-photos').disabled = false;
  }
}
async function sendMessage(ev) {
  ev.preventDefault();
  const to = $('who').value || residents()[0];
  const text = $('message').value.trim();
  const file = $('message-photo').files[0];
  if (!to || (!text && !file)) { $('status').textContent = 'Write a message or add a photo first.'; return; }
  const photos = file ? [await prepare(file)] : [];
  const body = { to, text };
  if (photos.length) body.photo = photos[0].sha;
  await enqueue({ id: newID(), kind: 'message', photos, body });
  $('message').value = ''; $('message-photo').value = '';
}
async function changeAvatar() {
  const file = $('avatar').files[0];
  if (!file) return;
  const photos = [await prepare(file)];
  await enqueue({ id: newID(), kind: 'avatar', photos, body: { avatar: photos[0].sha } });
  $('avatar').value = '';
}

// ---- notifications (Web Push) ----
function b64urlBytes(s) {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}
// subscriptionBody is the subscription with what this person calls each resident, so that the
// notices say "Mum replied" (the server keeps the names with this subscription only).
function subscriptionBody(sub) {
  const called = {};
  for (const id of residents()) {
    const n = callName(id, '').trim();
    if (n && [...n].length <= 40) called[id] = n;
  }
  return { ...sub.toJSON(), called };
}
// resendNames gives the server the names again after the person changed one, when this phone
// gets notices.
async function resendNames() {
  try {
    const reg = 'serviceWorker' in navigator && await navigator.serviceWorker.getRegistration('/');
    const sub = reg && reg.pushManager && await reg.pushManager.getSubscription();
    if (sub) await call('PUT', '/v1/push/subscription', subscriptionBody(sub));
  } catch (e) { /* offline or refused: the notices keep the name they had */ }
}
async function enablePush() {
  const say = (t) => { $('push-state').textContent = t; };
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    return say('This browser cannot show Hearth\'s notices. On an iPhone, add Hearth to the home screen first (Share, then Add to Home Screen) and open it from there.');
  }
  say('Turning notifications on…');
  try {
    const allowed = await Notification.requestPermission();
    if (allowed !== 'granted') return say('Notifications are blocked for Hearth. You can allow them in this browser\'s settings for this site.');
    const reg = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
    await navigator.serviceWorker.ready;
    let key;
    try { key = (await call('GET', '/v1/push/key')).public_key; } catch (p) {
      return say(p.status === 404 ? 'The care home\'s server does not send notifications.' : 'Hearth cannot reach the care home right now. Try again later.');
    }
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlBytes(key) });
    await call('PUT', '/v1/push/subscription', subscriptionBody(sub));
    say('Notifications are on for this phone.');
  } catch (e) {
    say('This browser could not turn notifications on here. Hearth still shows everything new when you open it.');
  }
}

// ---- not connected ----
function gone(title, text, more) {
  releaseHeld();
  $('app').hidden = true;
  $('status').hidden = true;
  $('gone-title').textContent = title;
  $('gone-text').textContent = text;
  $('gone-more').textContent = more || '';
  $('gone').hidden = false;
}
async function disconnected() {
  S.gone = true;
  forget();
  const n = (await outbox.all().catch(() => [])).length;
  $('title').textContent = 'This phone is no longer connected';
  gone('What happened', 'This phone was disconnected from Hearth' + (S.facility ? ' at ' + S.facility : '') +
    ', by the care home or by you from another device. Photos and messages you sent before are safe.',
    'To use Hearth on this phone again, ask the care home for a new invitation link.' +
    (n ? ' ' + (n === 1 ? '1 thing' : n + ' things') + ' you wrote on this phone could not be sent.' : ''));
}

// ---- opening with no signal ----
// What the page needs to open offline is remembered on this phone (localStorage): who this
// browser is, and the residents the person writes to (ids, names, circles) so that a message
// can be written at once. Nothing else: photos, messages and news come from the server only.
// It is forgotten when the server says this browser is no longer connected.
const SHELL = 'hearth.shell';
let remembered = '';
function remember() {
  const residentsOf = [...S.circles.values()].filter((c) => S.members.has(c.id + '/' + S.me) && c.resident_id !== S.me)
    .map((c) => ({ id: c.resident_id, name: (S.people.get(c.resident_id) || {}).name || '', circle: c.id, circle_name: c.name }));
  const v = JSON.stringify({ me: S.me, device: S.deviceId, facility: S.facility, residents: residentsOf });
  if (v === remembered) return;
  remembered = v;
  try { localStorage.setItem(SHELL, v); } catch (e) { /* private mode: no offline opening */ }
}
function forget() {
  try { localStorage.removeItem(SHELL); } catch (e) { /* nothing kept */ }
}
// openOffline shows the page as it was left, what is waiting and that the phone is offline.
async function openOffline() {
  let shell;
  try { shell = JSON.parse(localStorage.getItem(SHELL) || 'null'); } catch (e) { shell = null; }
  if (!shell || !shell.me) return false;
  await outbox.init();
  S.me = shell.me; S.deviceId = shell.device; S.facility = shell.facility; S.fromShell = true;
  for (const r of shell.residents || []) {
    apply({ kind: 'person', op: 'put', id: r.id, data: { id: r.id, name: r.name, role: 'resident' } });
    apply({ kind: 'circle', op: 'put', id: r.circle, data: { id: r.circle, name: r.circle_name, resident_id: r.id } });
    apply({ kind: 'member', op: 'put', id: r.circle + '/' + S.me, data: {} });
  }
  S.online = false;
  showApp();
  render();
  await refreshWaiting();
  return true;
}

let wired = false;
function showApp() {
  $('app').hidden = false;
  if (wired) return;
  wired = true;
  for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => showView(b.dataset.view));
  $('pick').addEventListener('change', () => photosPicked($('pick').files));
  $('camera').addEventListener('change', () => photosPicked($('camera').files));
  $('share-form').addEventListener('submit', sharePhotos);
  $('message-form').addEventListener('submit', sendMessage);
  $('who').addEventListener('change', () => { S.who = $('who').value; renderMessages(); });
  $('avatar').addEventListener('change', changeAvatar);
  $('push').addEventListener('click', enablePush);
  // A notice opens /messages or /album: the view it is about.
  if (location.pathname === '/messages') showView('messages');
  if (location.pathname === '/album') showView('photos');
}

async function start() {
  let s;
  try {
    const pending = firstSession;
    firstSession = null;
    s = await (pending || fetchJSON('/web/session'));
  } catch (p) {
    if (!S.fromShell && !(await openOffline())) {
      $('status').textContent = 'Hearth cannot reach the care home right now. Check that this phone is online; the page tries again by itself.';
      $('status').classList.add('offline');
    }
    await pause(3000);
    return start();
  }
  S.facility = s.facility;
  if (s.state !== 'joined') forget();
  if (s.state === 'none') {
    $('title').textContent = 'This phone is not connected to Hearth yet';
    return gone('How to connect', 'Open the invitation link the care home sent you: in a text message, an email, or the QR code on the printed invitation card. It connects this phone with one button.');
  }
  await outbox.init();
  if (s.state === 'disconnected') return disconnected();
  if (S.fromShell && s.person_id !== S.me) { resetMirror(); S.fromShell = false; }
  S.me = s.person_id;
  S.deviceId = s.device_id;
  showApp();
  await refreshWaiting();
  syncLoop();
}
// The service worker keeps the page's own files for opening offline (and shows notices). It is
// registered once the page has loaded, so that on a slow link it does not compete with the album.
if ('serviceWorker' in navigator) {
  const register = () => navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
  if (document.readyState === 'complete') register(); else addEventListener('load', register, { once: true });
}
start();
