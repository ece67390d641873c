// SPDX-License-Identifier: MIT
// Who is logged in and what the role may do (viewer < operator < admin). The server
// checks every request; the UI only hides what would be refused.

import {api, ApiError, getToken} from './api.js';

const RANK = {viewer: 1, operator: 2, admin: 3};

export const session = {
  id: '',
  role: 'unknown', // 'unknown': the daemon has no GET /whoami (no access control yet)
  authAvailable: true,
};

/**
 * Asks the daemon who the stored token belongs to. Resolves to 'ok', 'login' (a token is
 * needed or was refused; error set) or 'noauth' (whoami is not available: read-only).
 */
export async function identify() {
  try {
    const w = await api('GET', '/whoami');
    session.id = String(w.id || '');
    session.role = RANK[w.role] ? w.role : 'unknown';
    session.authAvailable = true;
    return {result: 'ok'};
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      session.id = '';
      session.role = 'unknown';
      session.authAvailable = false;
      return {result: 'noauth'};
    }
    if (e instanceof ApiError && (e.status === 401 || e.status === 403))
      return {result: 'login', error: getToken() ? e : null};
    return {result: 'error', error: e};
  }
}

function atLeast(role) {
  return (RANK[session.role] || 0) >= RANK[role];
}

/** What the current role may do. */
export const can = {
  lifecycle: () => atLeast('operator'),
  console: () => atLeast('operator'),
  destroy: () => atLeast('admin'),
  create: () => atLeast('admin'),
  audit: () => atLeast('admin'),
};
