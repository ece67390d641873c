// SPDX-License-Identifier: MIT
// The audit log page (#/audit, admins): GET /api/v1/audit?after=N&limit=M read newest
// first. The API pages forward only (records with seq > after), so the page first finds the
// newest seq (a search with limit=1 probes), shows the newest PAGE records, loads older ones
// on request, and fetches what is new whenever an audit event arrives on the event stream
// (window event 'fv-audit-event' from events.js).

import {api, ApiError} from './api.js';
import {fill, h} from './dom.js';

const PAGE = 100;      // records per "load older"
const MAX_PAGE = 500;  // the daemon's largest limit
const REFRESH_MS = 300; // a burst of audit events becomes one fetch

function page(after, limit) {
  return api('GET', `/audit?after=${after}&limit=${limit}`);
}

/* The newest seq: is there a record with seq > x? is monotonic in x, so doubling then
 * bisecting with limit=1 probes finds it in O(log n) requests instead of reading the whole
 * log page by page. 0 when the log is empty. */
async function newestSeq() {
  let first = await page(0, 1);
  if (!first.records.length) return 0;
  let lo = first.records[0].seq; // a seq that exists
  let hi = lo * 2;
  for (;;) {
    const p = await page(hi, 1);
    if (!p.records.length) break;
    lo = p.records[0].seq;
    hi = Math.max(hi * 2, lo * 2);
  }
  // Invariant: a record with seq > lo - 1 exists (lo itself), none with seq > hi.
  while (hi - lo > 0) {
    const mid = Math.floor((lo + hi + 1) / 2);
    const p = await page(mid - 1, 1);
    if (p.records.length && p.records[0].seq >= mid) lo = p.records[0].seq;
    else hi = mid - 1;
  }
  return lo;
}

function failed(st) {
  return st === 0 || st >= 400;
}

function fmtTime(t) {
  // "2026-12-04T22:10:05.123Z" -> "2026-12-04 22:10:05" (UTC, as the log keeps it)
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(String(t));
  return m ? `${m[1]} ${m[2]}` : String(t);
}

function row(r, before) {
  const st = Number(r.status);
  const cls = ['audit-row'];
  if (failed(st)) cls.push('fail');
  if (st === 401) cls.push('unauth');
  // The chain as far as this page can see: prev must be the hash of the record before.
  const broken = before && before.seq === r.seq - 1 && before.hash !== r.prev;
  if (broken) cls.push('broken');
  return h('tr', {class: cls.join(' '), dataset: {seq: String(r.seq), status: String(st), op: r.op},
                  title: broken ? 'prev does not match the hash of the record before it' : `hash ${r.hash}`},
    h('td', {class: 'num'}, String(r.seq)),
    h('td', {class: 'num', title: String(r.time)}, fmtTime(r.time)),
    h('td', {class: 'tok'}, r.token === null ? h('span', {class: 'muted'}, 'no valid token') : String(r.token)),
    h('td', {}, r.role === null ? '–' : String(r.role)),
    h('td', {}, String(r.source)),
    h('td', {class: 'op'}, String(r.op)),
    h('td', {}, String(r.target || '')),
    h('td', {class: 'num status'}, st === 0 ? '0 (no answer)' : String(st)));
}

/** Builds the audit page into root; returns its unmount function. */
export function mountAudit(root) {
  let alive = true;
  let timer = 0;
  const recs = new Map(); // seq -> record
  let oldest = 0; // the smallest seq shown (1: the whole log is shown)
  let newest = 0; // the largest seq shown (or looked for)
  let head = '';

  const status = h('span', {class: 'muted', id: 'audit-status'}, 'loading…');
  const headBox = h('code', {class: 'hash', id: 'audit-head'}, '…');
  const headNote = h('span', {class: 'muted', id: 'audit-head-note'});
  const tbody = h('tbody', {id: 'audit-rows'});
  const onlyFail = h('input', {type: 'checkbox', id: 'audit-only-failures',
                               onchange: () => render()});
  const older = h('button', {class: 'btn', type: 'button', id: 'audit-older', hidden: true,
                             onclick: () => loadOlder()}, 'Load older');
  const errBox = h('p', {class: 'error', id: 'audit-error', role: 'alert', hidden: true});
  const table = h('table', {class: 'vms audit', id: 'audit-table'},
    h('thead', {}, h('tr', {}, ['#', 'Time (UTC)', 'Token', 'Role', 'Source', 'Operation',
                                'Target', 'Status'].map(t => h('th', {}, t)))),
    tbody);
  // What only makes sense with records; hidden when the daemon refuses the log (403).
  const view = [
    h('p', {class: 'muted'}, 'Every mutating request and every authentication failure, newest first. ',
      'Failures are marked; the chain head is the hash of the newest record (compare it with ',
      h('code', {}, 'ferrovisor audit verify'), ').'),
    h('p', {class: 'row'}, h('span', {}, 'Chain head: '), headBox, headNote),
    h('p', {class: 'row'}, h('label', {}, onlyFail, ' failures only')),
    table, h('p', {}, older)];
  const panel = h('section', {class: 'panel', id: 'audit'},
    h('h1', {}, 'Audit log ', status), errBox, view);
  fill(root, panel);

  function render() {
    const seqs = [...recs.keys()].sort((a, b) => b - a);
    const only = onlyFail.checked;
    const trs = [];
    for (const s of seqs) {
      const r = recs.get(s);
      if (!only || failed(Number(r.status))) trs.push(row(r, recs.get(s - 1)));
    }
    if (!trs.length)
      trs.push(h('tr', {}, h('td', {colspan: 8, class: 'muted', id: 'audit-empty'},
        recs.size ? 'No failures among the records shown.' : 'The audit log is empty.')));
    fill(tbody, trs);
    fill(headBox, head || '–');
    const top = recs.get(newest);
    fill(headNote, !top ? '' : top.hash === head ? `= hash of record ${newest}`
                                                 : `(newer records than #${newest} exist)`);
    older.hidden = oldest <= 1;
    fill(status, recs.size ? `${recs.size} records shown, #${oldest}–#${newest}` : '');
  }

  function refused(e) {
    errBox.hidden = false;
    if (e instanceof ApiError && e.status === 403) {
      fill(errBox, `The audit log is readable by admins only (${e.describe()}).`);
      for (const el of view) el.hidden = true;
    } else fill(errBox, `Audit log: ${e instanceof ApiError ? e.describe() : e}`);
    fill(status, '');
  }

  // Everything after `newest`, page by page (limit 500) until next is null.
  async function fetchNewer() {
    let after = newest;
    for (;;) {
      const p = await page(after, MAX_PAGE);
      if (!alive) return;
      head = p.head;
      for (const r of p.records) {
        recs.set(r.seq, r);
        newest = Math.max(newest, r.seq);
        if (!oldest || r.seq < oldest) oldest = r.seq;
      }
      if (p.next === null || p.next === undefined) return;
      after = p.next;
    }
  }

  // One load at a time, in order: a "Load older" click while a refresh runs waits for
  // it instead of being dropped (the click must never be lost).
  let chain = Promise.resolve();
  function guarded(fn) {
    chain = chain.then(async () => {
      if (!alive) return;
      try {
        await fn();
        if (!alive) return;
        errBox.hidden = true;
        for (const el of view) el.hidden = false;
        render();
      } catch (e) {
        if (alive) refused(e);
      }
    });
    return chain;
  }

  async function first() {
    const last = await newestSeq();
    if (!alive) return;
    newest = Math.max(0, last - PAGE);
    oldest = newest + 1;
    await fetchNewer();
    if (!recs.size) oldest = 0;
  }

  async function loadOlder() {
    await guarded(async () => {
      // Records below the oldest shown; a gap (a tampered log) moves on to earlier ones.
      let after = Math.max(0, oldest - 1 - PAGE);
      for (;;) {
        const p = await page(after, Math.min(PAGE, oldest - 1 - after) || 1);
        if (!alive) return;
        head = p.head;
        const got = p.records.filter(r => r.seq < oldest);
        for (const r of got) recs.set(r.seq, r);
        if (got.length || after === 0) {
          oldest = got.length ? Math.min(...got.map(r => r.seq)) : 1;
          if (after === 0) oldest = 1;
          return;
        }
        after = Math.max(0, after - PAGE);
      }
    });
  }

  const onAudit = () => {
    clearTimeout(timer);
    timer = setTimeout(() => guarded(fetchNewer), REFRESH_MS);
  };
  window.addEventListener('fv-audit-event', onAudit);
  guarded(first);
  return () => {
    alive = false;
    clearTimeout(timer);
    window.removeEventListener('fv-audit-event', onAudit);
  };
}
