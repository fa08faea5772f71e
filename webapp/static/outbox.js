// The outbox: what the person sent that has not reached the care home yet, kept in IndexedDB
// with its client-made id, so that it survives going offline, a broken upload or a closed page,
// and goes out once (the server's PUT by id is idempotent: the same id and body again is "exists").
const DB = 'hearth', STORE = 'outbox';

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function tx(db, mode, fn) {
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const out = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(out && 'result' in out ? out.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

export class Outbox {
  // init opens the browser's database; where there is none (some private modes), what waits is
  // kept in the page's memory only, and kept says so.
  async init() {
    try {
      this.db = await open();
      this.kept = true;
    } catch (e) {
      const mem = new Map();
      this.kept = false;
      this.put = async (entry) => { mem.set(entry.id, entry); };
      this.remove = async (id) => { mem.delete(id); };
      this.all = async () => [...mem.values()].sort((a, b) => a.made - b.made);
    }
  }
  put(entry) { return tx(this.db, 'readwrite', (s) => s.put(entry)); }
  remove(id) { return tx(this.db, 'readwrite', (s) => s.delete(id)); }
  async all() {
    const list = await tx(this.db, 'readonly', (s) => s.getAll());
    return (list || []).sort((a, b) => a.made - b.made);
  }
}

// newID is a UUIDv7 as the server wants ids: lowercase, the time first.
export function newID() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// prepare shrinks a photo the browser can decode to at most 2560 px as JPEG (about 1 MB
// instead of 3-12 over mobile data); one it cannot decode (HEIC in most browsers) goes as it
// is, and the server turns it into its variants. Either way the server strips all metadata.
export async function prepare(file) {
  let blob = file;
  try {
    const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, 2560 / Math.max(bmp.width, bmp.height));
    const w = Math.max(1, Math.round(bmp.width * scale)), h = Math.max(1, Math.round(bmp.height * scale));
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    c.getContext('2d').drawImage(bmp, 0, 0, w, h);
    bmp.close();
    const jpeg = await new Promise((res) => c.toBlob(res, 'image/jpeg', 0.85));
    if (jpeg && jpeg.size > 0) blob = jpeg;
  } catch (e) {
    blob = file; // not decodable here: the server decodes it
  }
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  const sha = [...sum].map((x) => x.toString(16).padStart(2, '0')).join('');
  return { sha, blob: new Blob([blob], { type: blob.type || 'application/octet-stream' }), shrunk: blob !== file };
}
