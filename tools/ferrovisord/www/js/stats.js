// SPDX-License-Identifier: MIT
// Live counters: polls GET /api/v1/stats and keeps per-VM rate series (CPU in cores
// busy, I/O in bytes/s) for the sparklines. A daemon without /stats is reported once as
// "not available" and no longer polled.

import {api, ApiError} from './api.js';

const POINTS = 60;
const PERIOD_MS = 2000;

export const stats = {
  available: null, // null: not asked yet; false: the daemon has no /stats
  error: '',
  host: null, // the host object of the last answer
  series: new Map(), // vm -> {cpu: [], io: [], last: {t, cpu, io}}
  listeners: new Set(),
};

let timer = null;

function totalIo(v) {
  return (v.blk_read_bytes || 0) + (v.blk_write_bytes || 0) + (v.net_rx_bytes || 0) +
         (v.net_tx_bytes || 0);
}

async function poll() {
  if (document.hidden) return;
  try {
    const s = await api('GET', '/stats');
    const now = performance.now();
    stats.available = true;
    stats.error = '';
    stats.host = s.host || null;
    for (const [name, v] of Object.entries(s.vms || {})) {
      let e = stats.series.get(name);
      if (!e) stats.series.set(name, e = {cpu: [], io: [], last: null});
      const cur = {t: now, cpu: v.cpu_seconds || 0, io: totalIo(v)};
      if (e.last) {
        const dt = Math.max(1e-3, (cur.t - e.last.t) / 1000);
        e.cpu.push(Math.max(0, (cur.cpu - e.last.cpu) / dt));
        e.io.push(Math.max(0, (cur.io - e.last.io) / dt));
        if (e.cpu.length > POINTS) { e.cpu.shift(); e.io.shift(); }
      }
      e.last = cur;
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      stats.available = false;
      stop();
    } else {
      stats.error = e instanceof ApiError ? e.describe() : String(e);
    }
  }
  for (const fn of stats.listeners) fn();
}

export function startStats() {
  if (timer || stats.available === false) return;
  poll();
  timer = setInterval(poll, PERIOD_MS);
}

function stop() {
  clearInterval(timer);
  timer = null;
}
