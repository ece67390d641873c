// SPDX-License-Identifier: MIT
// The daemon's REST API (docs/api/openapi.yaml): bearer token from sessionStorage,
// problem+json errors as ApiError, and Server-Sent Events read with fetch (EventSource
// cannot send an Authorization header).

const TOKEN_KEY = 'ferrovisor.token';
export const API = '/api/v1';

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An HTTP error with the RFC 9457 problem the daemon sent (title, detail, type). */
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.title = p.title || (status ? `HTTP ${status}` : 'Daemon unreachable');
    this.detail = p.detail || '';
    this.type = p.type || '';
  }

  /** One line for the user: "409 Operation not possible…: pause 'a': …". */
  describe() {
    return `${this.status ? this.status + ' ' : ''}${this.title}${this.detail ? ': ' + this.detail : ''}`;
  }
}

/* A 401 anywhere but whoami means the token expired or was revoked mid-session: the app
 * goes back to the sign-in form (window event 'fv-unauthorized'). */
function refused(status, problem, path) {
  const e = new ApiError(status, problem);
  if (status === 401 && path !== '/whoami')
    window.dispatchEvent(new CustomEvent('fv-unauthorized', {detail: e}));
  return e;
}

function headers(extra) {
  const hd = Object.assign({}, extra);
  const t = getToken();
  if (t) hd.Authorization = `Bearer ${t}`;
  return hd;
}

async function problemOf(r) {
  const text = await r.text().catch(() => '');
  try {
    const j = JSON.parse(text);
    if (j && typeof j === 'object') return j;
  } catch (_) { /* not JSON: fall through */ }
  return {title: r.statusText || `HTTP ${r.status}`, detail: text.slice(0, 200)};
}

/** One API call; resolves to the parsed JSON body (null for 204), rejects with ApiError. */
export async function api(method, path, body, ctype) {
  const opts = {method, headers: headers(), cache: 'no-store'};
  if (body !== undefined) {
    opts.body = body;
    opts.headers['Content-Type'] = ctype || 'application/json';
  }
  let r;
  try {
    r = await fetch(API + path, opts);
  } catch (e) {
    throw new ApiError(0, {title: 'Daemon unreachable', detail: e.message});
  }
  if (!r.ok) throw refused(r.status, await problemOf(r), path);
  if (r.status === 204) return null;
  const ct = r.headers.get('Content-Type') || '';
  return ct.includes('json') ? r.json() : r.text();
}

/**
 * Reads a text/event-stream at path until it ends or signal aborts; calls
 * onEvent(type, data) per event (data parsed as JSON when it is JSON) and onOpen() once
 * connected. Rejects with ApiError when the server refuses (e.g. 404: not available).
 */
export async function stream(path, {onEvent, onOpen, signal}) {
  let r;
  try {
    r = await fetch(API + path, {headers: headers({Accept: 'text/event-stream'}), signal,
                                 cache: 'no-store'});
  } catch (e) {
    if (signal && signal.aborted) return;
    throw new ApiError(0, {title: 'Daemon unreachable', detail: e.message});
  }
  if (!r.ok) throw refused(r.status, await problemOf(r), path);
  if (onOpen) onOpen();
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      if (signal && signal.aborted) return;
      throw new ApiError(0, {title: 'Stream interrupted', detail: e.message});
    }
    if (chunk.done) return;
    buf += dec.decode(chunk.value, {stream: true});
    // Events end with a blank line (LF or CRLF).
    let m;
    while ((m = /\r?\n\r?\n/.exec(buf))) {
      const block = buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      dispatch(block, onEvent);
    }
  }
}

function dispatch(block, onEvent) {
  let type = 'message';
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
  }
  if (!data.length) return;
  const text = data.join('\n');
  let parsed = text;
  try { parsed = JSON.parse(text); } catch (_) { /* plain text data */ }
  onEvent(type, parsed);
}

/** CRC-32C (Castagnoli) of a Uint8Array: the VM package checksum the hvc backend needs. */
let crcTable = null;
export function crc32c(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (c & 1 ? 0x82F63B78 : 0);
      crcTable[i] = c >>> 0;
    }
  }
  let crc = 0xFFFFFFFF;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xFF] ^ (crc >>> 8);
  return (crc ^ 0xFFFFFFFF) >>> 0;
}
