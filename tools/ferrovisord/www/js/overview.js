// SPDX-License-Identifier: MIT
// The overview page: host summary, the VM table with live sparklines, VM creation (admin).

import {api, ApiError, crc32c} from './api.js';
import {actionButtons} from './actions.js';
import {fill, fmtBytes, fmtDuration, fmtMiB, h, toast} from './dom.js';
import {can} from './session.js';
import {sparkline} from './spark.js';
import {startStats, stats} from './stats.js';

const PERIOD_MS = 2000;

export function hostSummary(host) {
  const used = host.memory_total_mb - host.memory_free_mb;
  const items = [
    ['Version', `${host.version} (API ${host.api_version}, backend ${host.backend})`],
    ['CPUs', host.cpus],
    ['Memory', `${fmtMiB(host.memory_free_mb)} free of ${fmtMiB(host.memory_total_mb)}`],
    ['VMs', `${host.vm_count} of ${host.vm_limit}`],
    ['Uptime', fmtDuration(host.uptime_ms)],
  ];
  const pct = host.memory_total_mb ? Math.round((used / host.memory_total_mb) * 100) : 0;
  return h('dl', {class: 'summary', id: 'host-summary'},
    items.map(([k, v]) => h('div', {dataset: {field: k.toLowerCase()}}, h('dt', {}, k), h('dd', {}, String(v)))),
    h('div', {class: 'meter', title: `${pct}% of host memory assigned`},
      h('progress', {max: 100, value: pct}), h('span', {class: 'muted'}, `${pct}% memory in use`)));
}

/** The host object of GET /stats (whatever counters the daemon reports), or nothing. */
function hostCounters() {
  const c = stats.host;
  if (!c || typeof c !== 'object') return null;
  const items = Object.entries(c).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
  if (!items.length) return null;
  const show = (k, v) => {
    if (typeof v !== 'number') return String(v);
    if (k.endsWith('_bytes')) return fmtBytes(v);
    if (k.endsWith('_ms')) return fmtDuration(v);
    if (k.endsWith('_seconds') || k.endsWith('_seconds_total')) return `${v.toFixed(1)} s`;
    return String(v);
  };
  return h('dl', {class: 'summary counters', id: 'host-counters', title: 'GET /api/v1/stats: host'},
    items.map(([k, v]) => h('div', {dataset: {field: k}},
      h('dt', {}, k.replace(/_(bytes|ms|seconds(_total)?)$/, '').replace(/_/g, ' ')), h('dd', {}, show(k, v)))));
}

/** CPU use of a VM: the chart's full height is all of its vCPUs busy. */
export function cpuCell(name, vcpus) {
  const e = stats.series.get(name);
  if (stats.available === false) return h('span', {class: 'muted na'}, 'not available');
  if (!e || e.cpu.length < 2) return h('span', {class: 'muted', title: 'two samples are needed for a rate'}, 'collecting…');
  const last = e.cpu[e.cpu.length - 1];
  const pct = (last / Math.max(1, vcpus)) * 100;
  return h('span', {class: 'sparkcell'},
    sparkline(e.cpu, {max: Math.max(1, vcpus), label: `CPU ${last.toFixed(2)} of ${vcpus} vCPUs busy`}),
    h('span', {class: 'num', title: `${last.toFixed(2)} of ${vcpus} vCPUs busy`}, `${pct.toFixed(0)}%`));
}

export function ioCell(name) {
  const e = stats.series.get(name);
  if (stats.available === false) return h('span', {class: 'muted na'}, 'not available');
  if (!e || e.io.length < 2) return h('span', {class: 'muted', title: 'two samples are needed for a rate'}, 'collecting…');
  const last = e.io[e.io.length - 1];
  return h('span', {class: 'sparkcell'}, sparkline(e.io, {label: `I/O ${fmtBytes(last)}/s`}),
    h('span', {class: 'num'}, `${fmtBytes(last)}/s`));
}

export function stateBadge(vm) {
  let text = vm.state;
  if (vm.state === 'creating' && vm.progress) text += ` ${vm.progress.percent}%`;
  return h('span', {class: `state st-${vm.state}`, dataset: {state: vm.state}}, text);
}

function vmRow(vm, refresh) {
  const href = `#/vm/${encodeURIComponent(vm.name)}`;
  return h('tr', {dataset: {vm: vm.name, state: vm.state}},
    h('td', {}, h('a', {href, class: 'vmlink'}, vm.name)),
    h('td', {class: 'state-cell'}, stateBadge(vm)),
    h('td', {}, vm.role),
    h('td', {class: 'num'}, String(vm.vcpus)),
    h('td', {class: 'num'}, fmtMiB(vm.memory_mb)),
    h('td', {class: 'cpu'}, cpuCell(vm.name, vm.vcpus)),
    h('td', {class: 'io'}, ioCell(vm.name)),
    h('td', {}, actionButtons(vm, refresh)));
}

function createForm(refresh) {
  const status = h('span', {class: 'muted', id: 'create-status'});
  const form = h('form', {class: 'create row', id: 'create-form'},
    h('label', {}, 'Name ', h('input', {name: 'name', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,30}', size: '12',
                                       title: '1-31 of A-Z a-z 0-9 _ -, the first alphanumeric'})),
    h('label', {}, 'vCPUs ', h('input', {name: 'vcpus', type: 'number', min: '1', max: '64', value: '1'})),
    h('label', {}, 'Memory MiB ', h('input', {name: 'memory_mb', type: 'number', min: '1', value: '64'})),
    h('label', {}, 'Package ', h('input', {name: 'pkg', type: 'file', required: true})),
    h('button', {class: 'btn', type: 'submit'}, 'Create VM'), status);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const fd = new FormData(form);
    const file = fd.get('pkg');
    const bytes = new Uint8Array(await file.arrayBuffer());
    const crc = crc32c(bytes).toString(16).padStart(8, '0');
    const q = new URLSearchParams({name: fd.get('name'), vcpus: fd.get('vcpus'),
                                   memory_mb: fd.get('memory_mb'), crc32c: crc});
    const name = fd.get('name');
    fill(status, `uploading ${fmtBytes(bytes.length)}…`);
    // The daemon lists the VM as "creating" with its progress while the body streams in.
    const progress = setInterval(async () => {
      try {
        const vm = await api('GET', `/vms/${encodeURIComponent(name)}`);
        if (vm.progress) fill(status, `uploading ${fmtBytes(bytes.length)}: ${vm.progress.percent}%`);
      } catch (_) { /* not listed yet or already done */ }
    }, 500);
    try {
      await api('POST', `/vms?${q}`, bytes, 'application/octet-stream');
      fill(status, '');
      toast(`${name} created`);
      form.reset();
      refresh();
    } catch (e) {
      fill(status, h('span', {class: 'error'}, e instanceof ApiError ? e.describe() : String(e)));
    } finally {
      clearInterval(progress);
    }
  });
  return h('details', {class: 'panel'}, h('summary', {}, 'Create a VM from a package'), form);
}

/** Mounts the overview into root; returns its unmount function. */
export function mountOverview(root) {
  const hostBox = h('section', {class: 'panel', id: 'host'}, h('p', {class: 'muted'}, 'Loading host…'));
  const tbody = h('tbody', {id: 'vm-rows'});
  const vmError = h('p', {class: 'error', id: 'vm-error', hidden: true});
  const statsNote = h('p', {class: 'muted', id: 'stats-note', hidden: true});
  const table = h('table', {class: 'vms', id: 'vm-table'},
    h('thead', {}, h('tr', {}, ['Name', 'State', 'Role', 'vCPUs', 'Memory', 'CPU', 'I/O', 'Actions'].map(t => h('th', {}, t)))),
    tbody);
  let vms = [];
  let alive = true;

  // Rows are rebuilt only when their VM changed, so a button under the pointer is not
  // replaced by the 2 s poll; the chart cells are refreshed in place.
  const rows = new Map(); // name -> {tr, key}
  const renderRows = () => {
    const seen = new Set();
    const order = [];
    for (const vm of vms) {
      const key = JSON.stringify(vm);
      let r = rows.get(vm.name);
      if (!r || r.key !== key) {
        const tr = vmRow(vm, refresh);
        if (r) r.tr.replaceWith(tr);
        rows.set(vm.name, r = {tr, key});
      } else {
        fill(r.tr.querySelector('td.cpu'), cpuCell(vm.name, vm.vcpus));
        fill(r.tr.querySelector('td.io'), ioCell(vm.name));
      }
      seen.add(vm.name);
      order.push(r.tr);
    }
    for (const [name, r] of rows) if (!seen.has(name)) { r.tr.remove(); rows.delete(name); }
    if (!order.length) fill(tbody, h('tr', {}, h('td', {colspan: 8, class: 'muted'}, 'No VMs')));
    else if (order.some((tr, i) => tbody.children[i] !== tr) || tbody.children.length !== order.length)
      fill(tbody, order);
    statsNote.hidden = stats.available !== false && !stats.error;
    fill(statsNote, stats.available === false ? 'Live CPU and I/O charts: not available (this daemon has no /api/v1/stats).'
                                              : `Live charts: ${stats.error}`);
  };

  async function refresh() {
    if (document.hidden) return; // a background tab does not poll; visibilitychange catches up
    const [host, list] = await Promise.allSettled([api('GET', '/host'), api('GET', '/vms')]);
    if (!alive) return;
    if (host.status === 'fulfilled') fill(hostBox, h('h2', {}, 'Host'), hostSummary(host.value), hostCounters());
    else fill(hostBox, h('h2', {}, 'Host'), h('p', {class: 'error'}, host.reason.describe ? host.reason.describe() : String(host.reason)));
    if (list.status === 'fulfilled') {
      vms = list.value.vms;
      vmError.hidden = true;
    } else {
      vmError.hidden = false;
      fill(vmError, `VM list: ${list.reason.describe ? list.reason.describe() : list.reason}`);
    }
    renderRows();
  }

  fill(root, hostBox,
    h('section', {class: 'panel'}, h('h2', {}, 'Virtual machines'), vmError, table, statsNote),
    can.create() ? createForm(refresh) : null);
  refresh();
  const timer = setInterval(refresh, PERIOD_MS);
  const onStats = () => renderRows();
  stats.listeners.add(onStats);
  startStats();
  const onEvent = () => refresh();
  window.addEventListener('fv-vm-event', onEvent);
  document.addEventListener('visibilitychange', onEvent);
  return () => {
    document.removeEventListener('visibilitychange', onEvent);
    alive = false;
    clearInterval(timer);
    stats.listeners.delete(onStats);
    window.removeEventListener('fv-vm-event', onEvent);
  };
}
