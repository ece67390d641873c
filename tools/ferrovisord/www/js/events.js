// SPDX-License-Identifier: MIT
// The event stream (GET /api/v1/events, SSE): VM state changes, crashes, control errors,
// and audit records for admins. Kept connected for the whole session; every VM event
// also tells the open page to refresh at once (window event 'fv-vm-event').

import {ApiError, stream} from './api.js';
import {fill, h, toast} from './dom.js';
import {can} from './session.js';

const KEEP = 200;
// Critical events also pop up, except those replayed right after (re)connecting.
const ALERT = new Set(['vm-crash', 'control-error']);
const REPLAY_MS = 1000;

let ctl = null;

function describe(ev) {
  switch (ev.type) {
  case 'vm-state':
    return `${ev.vm}: ${ev.old_state ? ev.old_state + ' → ' : ''}${ev.state}${ev.cause ? ' (' + ev.cause + ')' : ''}`;
  case 'vm-crash':
    return `${ev.vm} crashed${ev.cause ? ': ' + ev.cause : ''}`;
  case 'control-error':
    return `control channel: ${ev.cause || ev.detail || 'error'}`;
  case 'audit': {
    // The daemon's audit record (GET /audit's AuditRecord) rides in ev.record.
    const r = ev.record || {};
    const who = r.token || 'no valid token';
    const res = r.status !== undefined ? ` → ${r.status}` : '';
    return `${who}${r.role ? ' (' + r.role + ')' : ''}: ${r.op || '?'} ${r.target || ''}${res}`;
  }
  default: {
    const rest = Object.assign({}, ev);
    for (const k of ['seq', 'time', 'type']) delete rest[k];
    return JSON.stringify(rest);
  }
  }
}

function timeOf(ev) {
  const d = ev.time ? new Date(ev.time) : new Date();
  return Number.isNaN(d.getTime()) ? String(ev.time) : d.toLocaleTimeString();
}

/** Builds the events panel and starts (or restarts) the stream into it. */
export function mountEvents(root) {
  if (ctl) ctl.abort();
  ctl = new AbortController();
  const signal = ctl.signal;
  const list = h('ol', {class: 'events', id: 'event-list', reversed: true});
  const status = h('span', {class: 'muted', id: 'events-status'}, 'connecting…');
  const empty = h('p', {class: 'muted', id: 'events-empty'}, 'No events yet.');
  fill(root, h('h2', {}, 'Events ', status), empty, list);
  let lastSeq = -1;
  let openedAt = 0;

  const onEvent = (type, d) => {
    const ev = typeof d === 'object' && d ? d : {type, detail: String(d)};
    if (!ev.type) ev.type = type;
    if (typeof ev.seq === 'number') {
      if (ev.seq <= lastSeq) return;
      lastSeq = ev.seq;
    }
    if (ev.type === 'audit' && !can.audit()) return;
    empty.hidden = true;
    list.prepend(h('li', {class: `ev ev-${ev.type}`, dataset: {type: ev.type, vm: ev.vm || ''}},
      h('time', {}, timeOf(ev)), h('span', {class: 'evtype'}, ev.type), h('span', {}, describe(ev))));
    while (list.children.length > KEEP) list.lastChild.remove();
    if (ALERT.has(ev.type) && performance.now() - openedAt > REPLAY_MS) toast(describe(ev), 'error');
    if (ev.vm) window.dispatchEvent(new CustomEvent('fv-vm-event', {detail: ev}));
    if (ev.type === 'audit') window.dispatchEvent(new CustomEvent('fv-audit-event', {detail: ev}));
  };

  (async () => {
    let retry = 1000;
    while (!signal.aborted) {
      try {
        await stream('/events', {
          signal, onEvent,
          onOpen: () => {
            fill(status, h('span', {class: 'live'}, 'live'));
            retry = 1000;
            openedAt = performance.now();
          },
        });
        if (signal.aborted) return;
        fill(status, 'disconnected, reconnecting…');
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) {
          fill(status, h('span', {class: 'na'}, 'not available (this daemon has no /api/v1/events)'));
          empty.hidden = true;
          return;
        }
        fill(status, h('span', {class: 'error'}, `${e instanceof ApiError ? e.describe() : e}; retrying`));
      }
      await new Promise(r => setTimeout(r, retry));
      retry = Math.min(retry * 2, 15000);
    }
  })();
}

export function stopEvents() {
  if (ctl) ctl.abort();
  ctl = null;
}
