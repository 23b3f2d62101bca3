// Registry: halls, windows and staff (with photo). Everyone may read; managers create and edit.
import { api, h } from './api.js';
import { t } from './i18n.js';

let ctx;
let halls = [];
let windows = [];
let staff = [];
let photoVersion = Date.now();

const canManage = () => ctx.can(['manager']);

async function load() {
  [halls, windows, staff] = await Promise.all([api('GET', '/api/halls'), api('GET', '/api/windows'), api('GET', '/api/staff')]);
  render();
}

function editButton(form, values) {
  if (!canManage()) return null;
  return h('button', {
    type: 'button', 'data-action': 'edit',
    onclick: () => {
      for (const [k, v] of Object.entries(values)) if (form.elements[k]) form.elements[k].value = v ?? '';
      form.dataset.editing = values.id;
      form.elements.id.readOnly = true;
      form.elements.name.focus();
    },
  }, t('reg.edit'));
}

function render() {
  const hallForm = document.getElementById('hall-form');
  const windowForm = document.getElementById('window-form');
  const staffForm = document.getElementById('staff-form');
  const staffName = new Map(staff.map((s) => [s.id, s.name]));
  document.getElementById('hall-rows').replaceChildren(...halls.map((x) => h('tr', { 'data-hall': x.id },
    h('td', {}, x.id), h('td', {}, x.name), h('td', {}, x.address ?? ''), h('td', {}, editButton(hallForm, x)))));
  document.getElementById('window-rows').replaceChildren(...windows.map((x) => h('tr', { 'data-window': x.id },
    h('td', {}, x.id), h('td', {}, x.name), h('td', {}, x.hallId), h('td', {}, x.department ?? '—'), h('td', {}, x.staffId ? staffName.get(x.staffId) ?? x.staffId : '—'), h('td', {}, x.deviceId ?? '—'),
    h('td', {}, editButton(windowForm, x)))));
  document.getElementById('staff-rows').replaceChildren(...staff.map((x) => h('tr', { 'data-staff': x.id },
    h('td', {}, x.hasPhoto ? h('img', { class: 'photo', alt: x.name, src: `/api/staff/${encodeURIComponent(x.id)}/photo?v=${photoVersion}` }) : '—'),
    h('td', {}, x.id), h('td', {}, x.name), h('td', {}, x.number), h('td', {}, x.title ?? ''), h('td', {}, x.starLevel ?? ''),
    h('td', {}, editButton(staffForm, x)))));
  const hallSel = document.getElementById('window-hall');
  const prevHall = hallSel.value;
  hallSel.replaceChildren(...halls.map((x) => h('option', { value: x.id }, x.name)));
  if (prevHall) hallSel.value = prevHall;
  const staffSel = document.getElementById('window-staff');
  const prevStaff = staffSel.value;
  staffSel.replaceChildren(h('option', { value: '' }, `${t('reg.staff')}${t('reg.noStaff')}`), ...staff.map((x) => h('option', { value: x.id }, `${x.name}（${x.number}）`)));
  staffSel.value = prevStaff;
  for (const f of document.querySelectorAll('#tab-registry .manage-only')) f.hidden = !canManage();
}

function reset(form) {
  delete form.dataset.editing;
  form.elements.id.readOnly = false;
}

/** Submits create (POST) or edit (PATCH without the id) and reloads. */
function wire(formId, path, toBody, afterSave) {
  const form = document.getElementById(formId);
  form.addEventListener('reset', () => reset(form));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const editing = form.dataset.editing;
    const body = toBody(form, Boolean(editing));
    try {
      const id = editing ?? body.id;
      if (editing) await api('PATCH', `${path}/${encodeURIComponent(editing)}`, body);
      else await api('POST', path, body);
      await afterSave?.(form, id);
      form.reset();
      ctx.toast(t('reg.saved'));
      await load();
    } catch (err) {
      ctx.fail(err);
    }
  });
}

const text = (form, name) => form.elements[name].value.trim();

export const registryView = {
  async init(c) {
    ctx = c;
    wire('hall-form', '/api/halls', (f, edit) => {
      const b = { name: text(f, 'name'), ...(text(f, 'address') ? { address: text(f, 'address') } : {}) };
      return edit ? b : { id: text(f, 'id'), ...b };
    });
    wire('window-form', '/api/windows', (f, edit) => {
      const b = { name: text(f, 'name'), staffId: text(f, 'staffId') || null, department: text(f, 'department') || null };
      return edit ? b : { id: text(f, 'id'), hallId: text(f, 'hallId'), ...b };
    });
    wire('staff-form', '/api/staff', (f, edit) => {
      const star = text(f, 'starLevel');
      const b = { name: text(f, 'name'), number: text(f, 'number') };
      if (text(f, 'title')) b.title = text(f, 'title');
      else if (edit) b.title = null;
      if (star !== '') b.starLevel = Number(star);
      return edit ? b : { id: text(f, 'id'), ...b };
    }, async (f, id) => {
      const file = f.elements.photo.files[0];
      if (!file) return;
      await api('PUT', `/api/staff/${encodeURIComponent(id)}/photo`, file);
      photoVersion = Date.now();
    });
  },
  render,
  show: () => load().catch((err) => ctx.fail(err)),
};
