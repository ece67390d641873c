// SPDX-License-Identifier: MIT
// VM lifecycle buttons: which ones a role sees, which a state enables, and the calls
// (destroy after a confirmation dialog).

import {api, ApiError} from './api.js';
import {h, toast} from './dom.js';
import {can} from './session.js';

// action -> states in which the hypervisor accepts it
const ACTIONS = [
  ['start', ['stopped', 'crashed']],
  ['pause', ['running']],
  ['resume', ['paused']],
  ['reset', ['running', 'paused']],
  ['stop', ['running', 'paused']],
];

/** Calls an action; resolves to the VM's new representation or null (error toasted). */
export async function runAction(vm, action) {
  try {
    const r = action === 'destroy' ? await api('DELETE', `/vms/${encodeURIComponent(vm)}`)
                                   : await api('POST', `/vms/${encodeURIComponent(vm)}/${action}`);
    toast(action === 'destroy' ? `${vm} destroyed` : `${action} ${vm}: now ${r.state}`);
    return r || {};
  } catch (e) {
    toast(`${action} ${vm} failed: ${e instanceof ApiError ? e.describe() : e}`, 'error');
    return null;
  }
}

function confirmDestroy(name) {
  return new Promise(resolve => {
    const dlg = h('dialog', {class: 'confirm', id: 'confirm-destroy'},
      h('h3', {}, `Destroy VM "${name}"?`),
      h('p', {}, 'The VM is stopped and removed with its memory. This cannot be undone.'),
      h('form', {method: 'dialog', class: 'row'},
        h('button', {value: 'cancel', class: 'btn', autofocus: true, dataset: {confirm: 'cancel'}}, 'Cancel'),
        h('button', {value: 'destroy', class: 'btn danger', dataset: {confirm: 'destroy'}}, 'Destroy')));
    dlg.addEventListener('close', () => { resolve(dlg.returnValue === 'destroy'); dlg.remove(); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/**
 * The action buttons of one VM for the current role (an empty span for a viewer), enabled
 * by its state. after(action, result) runs after a successful call.
 */
export function actionButtons(vm, after) {
  const box = h('span', {class: 'actions'});
  if (vm.role === 'service') {
    box.append(h('span', {class: 'muted', title: 'The service VM runs the daemon itself'}, 'service VM'));
    return box;
  }
  const busy = vm.state === 'creating';
  if (can.lifecycle()) {
    for (const [act, states] of ACTIONS) {
      box.append(h('button', {
        class: 'btn small', type: 'button', dataset: {action: act, vm: vm.name},
        disabled: busy || !states.includes(vm.state),
        title: states.includes(vm.state) ? `${act} ${vm.name}` : `not possible while ${vm.state}`,
        onclick: async ev => {
          ev.target.disabled = true;
          const r = await runAction(vm.name, act);
          if (after) after(act, r);
        },
      }, act));
    }
  }
  if (can.destroy()) {
    box.append(h('button', {
      class: 'btn small danger', type: 'button', dataset: {action: 'destroy', vm: vm.name},
      disabled: busy,
      onclick: async () => {
        if (!(await confirmDestroy(vm.name))) return;
        const r = await runAction(vm.name, 'destroy');
        if (after) after('destroy', r);
      },
    }, 'destroy'));
  }
  return box;
}
