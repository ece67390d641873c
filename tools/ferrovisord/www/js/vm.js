// SPDX-License-Identifier: MIT
// The page of one VM: details, actions, live charts, and its console (SSE output with
// history, an input line for operators).

import {api, ApiError, stream} from './api.js';
import {actionButtons} from './actions.js';
import {fill, fmtMiB, h, toast} from './dom.js';
import {cpuCell, ioCell, stateBadge} from './overview.js';
import {can, session} from './session.js';
import {startStats, stats} from './stats.js';

const PERIOD_MS = 2000;
const CONSOLE_MAX = 256 * 1024; // characters kept on screen
const KNOWN = new Set(['name', 'id', 'state', 'role', 'vcpus', 'memory_mb', 'progress']);

// Terminal control sequences (colours, cursor moves) are dropped: the console is shown as
// plain text.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\r(?=\n)/g;

function b64bytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function extraValue(v) {
  if (Array.isArray(v))
    return h('ul', {class: 'plain'}, v.map(x => h('li', {}, typeof x === 'object' ? JSON.stringify(x) : String(x))));
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

function details(vm) {
  const rows = [['Name', vm.name], ['Id', vm.id], ['State', stateBadge(vm)], ['Role', vm.role],
                ['vCPUs', vm.vcpus], ['Memory', fmtMiB(vm.memory_mb)]];
  if (vm.progress)
    rows.push(['Upload', `${vm.progress.bytes_received} of ${vm.progress.bytes_total} bytes (${vm.progress.percent}%)`]);
  // Fields a newer daemon adds (vCPU list, devices …) are shown as they come.
  for (const [k, v] of Object.entries(vm)) if (!KNOWN.has(k)) rows.push([k, extraValue(v)]);
  return h('dl', {class: 'details', id: 'vm-details'},
    rows.map(([k, v]) => h('div', {dataset: {field: String(k).toLowerCase()}}, h('dt', {}, k), h('dd', {}, v))));
}

function consolePanel(name) {
  // Console output is operator (as input): a viewer is not shown a stream it may not read.
  // (Without access control there are no roles: the stream is tried, read-only.)
  if (session.authAvailable && !can.console()) {
    const na = h('span', {class: 'muted na', id: 'console-status'}, 'needs the operator role');
    return {panel: h('section', {class: 'panel', id: 'console'}, h('h2', {}, 'Console ', na)),
            close: () => {}};
  }
  const out = h('pre', {class: 'console', id: 'console-output', tabindex: 0, 'aria-live': 'off'});
  const status = h('span', {class: 'muted', id: 'console-status'}, 'connecting…');
  const ctl = new AbortController();
  const dec = new TextDecoder();
  let text = '';
  let lastSeq = -1;

  const append = s => {
    const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    text = (text + s.replace(ANSI, '')).slice(-CONSOLE_MAX);
    out.textContent = text;
    if (stick) out.scrollTop = out.scrollHeight;
  };

  const connect = async () => {
    let retry = 1000;
    while (!ctl.signal.aborted) {
      try {
        await stream(`/vms/${encodeURIComponent(name)}/console`, {
          signal: ctl.signal,
          onOpen: () => { fill(status, h('span', {class: 'live'}, 'live')); retry = 1000; },
          onEvent: (type, d) => {
            if (type !== 'output' || !d || typeof d.b64 !== 'string') return;
            // A reconnect replays the history: skip what is already shown.
            if (typeof d.seq === 'number') {
              if (d.seq <= lastSeq) return;
              lastSeq = d.seq;
            }
            append(dec.decode(b64bytes(d.b64), {stream: true}));
          },
        });
        if (ctl.signal.aborted) return;
        fill(status, 'disconnected, reconnecting…');
      } catch (e) {
        if (e instanceof ApiError && e.status === 404 && e.type.endsWith(':not-found')) {
          fill(status, h('span', {class: 'na'}, 'not available on this daemon (no /console endpoint)'));
          out.hidden = true;
          if (input) input.hidden = true;
          return;
        }
        if (e instanceof ApiError && e.status === 403) {
          fill(status, h('span', {class: 'error'}, `console: ${e.describe()}`));
          return; // the role will not change by retrying
        }
        fill(status, h('span', {class: 'error'}, `console: ${e instanceof ApiError ? e.describe() : e}; retrying`));
      }
      await new Promise(r => setTimeout(r, retry));
      retry = Math.min(retry * 2, 15000);
    }
  };

  let input = null;
  if (can.console()) {
    const line = h('input', {id: 'console-input', autocomplete: 'off', placeholder: 'type a line, Enter sends it', size: 60});
    input = h('form', {class: 'row', id: 'console-form'}, line,
      h('button', {class: 'btn', type: 'submit'}, 'Send'),
      h('button', {class: 'btn', type: 'button', title: 'send Ctrl-C',
                   onclick: () => send('\x03')}, '^C'));
    const send = async s => {
      try {
        await api('POST', `/vms/${encodeURIComponent(name)}/console`, new TextEncoder().encode(s),
                  'application/octet-stream');
        return true;
      } catch (e) {
        toast(`console input: ${e instanceof ApiError ? e.describe() : e}`, 'error');
        return false;
      }
    };
    input.addEventListener('submit', async ev => {
      ev.preventDefault();
      if (await send(line.value + '\n')) line.value = '';
    });
  }
  connect(); // after input exists: an unavailable console hides it
  const panel = h('section', {class: 'panel', id: 'console'},
    h('h2', {}, 'Console ', status), out, input);
  return {panel, close: () => ctl.abort()};
}

/** Mounts the page of VM name into root; returns its unmount function. */
export function mountVm(root, name) {
  const head = h('div', {class: 'vmhead'});
  const info = h('section', {class: 'panel', id: 'vm-info'}, h('p', {class: 'muted'}, 'Loading…'));
  const charts = h('section', {class: 'panel charts'},
    h('h2', {}, 'Activity'), h('div', {class: 'row'},
      h('div', {}, h('h3', {}, 'CPU'), h('div', {class: 'cpu'})),
      h('div', {}, h('h3', {}, 'I/O'), h('div', {class: 'io'}))));
  const con = consolePanel(name);
  let alive = true;
  let lastKey = '';
  let vcpus = 1;

  async function refresh() {
    try {
      const vm = await api('GET', `/vms/${encodeURIComponent(name)}`);
      if (!alive) return;
      const key = JSON.stringify(vm);
      vcpus = vm.vcpus || 1;
      if (key !== lastKey) {
        lastKey = key;
        fill(head, h('a', {href: '#/', class: 'back'}, '← all VMs'), h('h1', {}, name, ' ', stateBadge(vm)),
             actionButtons(vm, refresh));
        fill(info, h('h2', {}, 'Details'), details(vm));
      }
    } catch (e) {
      if (!alive) return;
      lastKey = '';
      fill(head, h('a', {href: '#/', class: 'back'}, '← all VMs'), h('h1', {}, name));
      fill(info, h('p', {class: 'error', id: 'vm-error'}, e instanceof ApiError ? e.describe() : String(e)));
    }
  }
  const onStats = () => {
    fill(charts.querySelector('.cpu'), cpuCell(name, vcpus));
    fill(charts.querySelector('.io'), ioCell(name));
  };

  fill(root, head, info, charts, con.panel);
  refresh();
  onStats();
  const timer = setInterval(refresh, PERIOD_MS);
  stats.listeners.add(onStats);
  startStats();
  const onEvent = ev => { if (!ev.detail || ev.detail.vm === name) refresh(); };
  window.addEventListener('fv-vm-event', onEvent);
  return () => {
    alive = false;
    clearInterval(timer);
    con.close();
    stats.listeners.delete(onStats);
    window.removeEventListener('fv-vm-event', onEvent);
  };
}
