// Talking to the care home's server: the same /v1 API as the Hearth app, with the session
// cookie (which no script can read) instead of a token, and the header that proves the request
// comes from this page.

export class Problem extends Error {
  constructor(code, message, status) { super(message); this.code = code; this.status = status; }
}

// call sends a request and returns the JSON answer; a refusal throws a Problem with the
// server's sentence, a network failure throws Problem "offline".
export async function call(method, path, body, type) {
  const init = { method, headers: { 'X-Hearth-Web': '1' }, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.body = body instanceof Blob ? body : JSON.stringify(body);
    init.headers['Content-Type'] = type || (body instanceof Blob ? 'application/octet-stream' : 'application/json');
  }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    throw new Problem('offline', 'Hearth cannot reach the care home right now.', 0);
  }
  let data = {};
  try { data = await r.json(); } catch (e) { data = {}; }
  if (!r.ok) {
    const err = data.error || {};
    throw new Problem(err.code || 'unknown', err.message || 'Something went wrong. Please try again.', r.status);
  }
  return data;
}

// el makes an element; children are nodes or text (never parsed as HTML).
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k in e && typeof v !== 'string') e[k] = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

// firstName: "Margaret" of "Margaret Hughes".
export function firstName(name) { return (name || '').trim().split(/\s+/)[0] || name; }

// What the person calls the resident of a circle ("Mum"), kept on this phone.
export function callName(residentId, fallback) {
  try { return localStorage.getItem('hearth.call.' + residentId) || fallback; } catch (e) { return fallback; }
}
export function setCallName(residentId, name) {
  try {
    if (name) localStorage.setItem('hearth.call.' + residentId, name);
    else localStorage.removeItem('hearth.call.' + residentId);
  } catch (e) { /* private mode: the first name stays */ }
}
