// SPDX-License-Identifier: MIT
// Entry point: sign-in (a token pasted once, kept in sessionStorage for this tab), the
// role from GET /api/v1/whoami, and the hash router (#/ overview, #/vm/NAME a VM,
// #/audit the audit log).

import {ApiError, getToken, setToken} from './api.js';
import {mountAudit} from './audit.js';
import {fill, h} from './dom.js';
import {mountEvents, stopEvents} from './events.js';
import {mountOverview} from './overview.js';
import {can, identify, session} from './session.js';
import {mountVm} from './vm.js';

const main = document.getElementById('main');
const who = document.getElementById('who');
const banner = document.getElementById('banner');
const eventsBox = document.getElementById('events-panel');
let unmount = null;
let ready = false; // signed in (or no access control): pages may render

function route() {
  if (unmount) unmount();
  unmount = null;
  const m = /^#\/vm\/([^/]+)$/.exec(location.hash);
  if (location.hash === '#/audit') {
    // Also tried by a viewer or operator who types the address: the daemon's 403 is shown.
    document.title = 'Audit log – Ferrovisor';
    unmount = mountAudit(main);
  } else if (m) {
    const name = decodeURIComponent(m[1]);
    document.title = `${name} – Ferrovisor`;
    unmount = mountVm(main, name);
  } else {
    document.title = 'Ferrovisor';
    unmount = mountOverview(main);
  }
}

function showLogin(err) {
  ready = false;
  if (unmount) unmount();
  unmount = null;
  stopEvents();
  fill(eventsBox);
  eventsBox.hidden = true;
  fill(who);
  banner.hidden = true;
  const input = h('input', {id: 'token', type: 'password', autocomplete: 'off', required: true,
                            placeholder: 'API token', size: 48});
  const form = h('form', {class: 'login panel', id: 'login-form'},
    h('h2', {}, 'Sign in'),
    h('p', {}, 'Paste an API token. It is kept in this browser tab only (sessionStorage) and sent as a Bearer token.'),
    h('p', {class: 'muted'}, 'The first admin token is printed once on the hypervisor console when the host first starts; an admin can create tokens for others.'),
    h('div', {class: 'row'}, input, h('button', {class: 'btn', type: 'submit'}, 'Sign in')),
    err ? h('p', {class: 'error', id: 'login-error', role: 'alert'}, err.describe ? err.describe() : String(err)) : null);
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    setToken(input.value.trim());
    start();
  });
  fill(main, form);
  input.focus();
}

function showWho() {
  const role = session.role;
  fill(who,
    // Hidden, not just disabled, below admin: the link exists only for those it works for.
    session.authAvailable && can.audit()
      ? h('a', {class: 'navlink', id: 'audit-link', href: '#/audit'}, 'Audit log')
      : null,
    h('span', {class: `role role-${role}`, id: 'role', dataset: {role}, title: session.id ? `token ${session.id}` : ''},
      session.authAvailable ? `${session.id || 'token'} · ${role}` : 'no access control'),
    getToken() || session.authAvailable
      ? h('button', {class: 'btn small', id: 'logout', type: 'button',
                     onclick: () => { setToken(''); start(); }}, 'Sign out')
      : null);
  if (!session.authAvailable) {
    banner.hidden = false;
    fill(banner, 'This daemon has no access control (GET /api/v1/whoami: not available): the dashboard is read-only.');
  } else {
    banner.hidden = true;
  }
}

async function start() {
  ready = false;
  const r = await identify();
  if (r.result === 'login') return showLogin(r.error);
  if (r.result === 'error') {
    fill(main, h('section', {class: 'panel'},
      h('p', {class: 'error', id: 'fatal'}, `Cannot reach the daemon: ${r.error instanceof ApiError ? r.error.describe() : r.error}`),
      h('button', {class: 'btn', type: 'button', onclick: start}, 'Retry')));
    return;
  }
  ready = true;
  eventsBox.hidden = false;
  showWho();
  mountEvents(eventsBox);
  route();
}

window.addEventListener('hashchange', () => { if (ready) route(); });
window.addEventListener('fv-unauthorized', ev => { if (ready) showLogin(ev.detail); });
start();
