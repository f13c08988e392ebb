// The codis-fe page (spec/control-plane.md §13.3): the products of /list, then one product's
// dashboard through codis-fe's reverse proxy (`?forward=<product>`). Every value from the cluster
// reaches the page as text (DOM text nodes and attributes, never HTML), so a server or proxy named
// `<script>` is shown, not run. Errors are shown in one banner and the page stays usable.

import { dashboardXAuth } from './sha256.js';

const $ = (id) => document.getElementById(id);

const state = {
  product: '',
  xauth: '',
  overview: undefined,
  stats: undefined,
  /** [time ms, total qps] of the latest refreshes, for the chart. */
  qps: [],
  timer: undefined,
  refreshing: false,
  /** Bumped on every product change: late answers for another product are dropped. */
  generation: 0,
};

/** An error to show as is: a dashboard's Cause, or a sentence of ours. */
class UiError extends Error {}

// DOM building: text only.

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'checked' || name === 'disabled') el[name] = Boolean(value);
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

function button(label, onclick, attrs = {}) {
  return h('button', { type: 'button', onclick, ...attrs }, label);
}

function forwardUrl(path) {
  return `${path}${path.includes('?') ? '&' : '?'}forward=${encodeURIComponent(state.product)}`;
}

// Messages.

function showError(error) {
  const text =
    error instanceof UiError ? error.message : `unexpected error: ${String(error?.message ?? error)}`;
  fill($('error-text'), text);
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
  fill($('error-text'));
}

let noticeTimer;
function notice(text) {
  fill($('notice'), text);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => fill($('notice')), 5000);
}

// HTTP.

/** Calls codis-fe (and through it a dashboard); resolves to the JSON answer or throws a UiError. */
async function call(method, path, body) {
  const headers = {};
  const secret = $('admin-secret').value;
  if (secret !== '') headers['X-Codis-Admin-Secret'] = secret;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new UiError(`codis-fe did not answer (${error.message}); is it running?`);
  }
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.ok) return json === undefined ? text : json;
  const cause = json !== null && typeof json === 'object' && typeof json.Cause === 'string' ? json.Cause : '';
  if (res.status === 401 && cause.startsWith('codis-fe: login required')) {
    showLogin();
    throw new UiError('please log in');
  }
  if (cause !== '') throw new UiError(cause);
  // Anything else (a proxy's HTML page, a stack dump): the status and the first line only.
  const first = text.split('\n', 1)[0].slice(0, 200);
  throw new UiError(
    `[${res.status}] ${res.statusText} - ${method} ${path}${first === '' ? '' : `: ${first}`}`,
  );
}

/** Asks for confirmation in a modal; resolves true on OK. */
function confirmAction(text, title = 'Warning !!', danger = false) {
  const dialog = $('confirm');
  fill($('confirm-title'), title);
  fill($('confirm-text'), text);
  dialog.classList.toggle('danger', danger);
  fill($('confirm-ok'), danger ? 'JUST DO IT' : 'OK');
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (answer) => {
      $('confirm-ok').onclick = null;
      $('confirm-cancel').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    $('confirm-ok').onclick = () => done(true);
    $('confirm-cancel').onclick = () => done(false);
    dialog.onclose = () => done(false);
  });
}

/** A dashboard action: optional confirmation, `PUT /api/topom/<path>`, then a refresh. */
async function act(path, { confirm, body, done, conflicts = [] } = {}) {
  if (state.product === '') return;
  try {
    if (conflicts.length > 0) {
      const text = `${confirm ?? path}\n\nHA conflicts (the sentinels' master is not the group's master):\n${conflicts.join('\n')}`;
      if (!(await confirmAction(text, 'Warning !! HA conflict', true))) return;
    } else if (confirm !== undefined && !(await confirmAction(confirm))) return;
    const answer = await call('PUT', forwardUrl(`/api/topom/${path}`), body);
    clearError();
    notice(done ?? `done: ${path.split('/')[0]} ${path.split('/').slice(1, 2).join('')}`);
    await refresh();
    return answer;
  } catch (error) {
    showError(error);
    return undefined;
  }
}

// Formatting.

function humanBytes(n) {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(2)} ${units[i]}`;
}

function thousands(n) {
  return Number(n).toLocaleString('en-US');
}

function keysOf(info) {
  let total = 0;
  for (const [name, value] of Object.entries(info ?? {})) {
    if (/^db\d+$/.test(name)) {
      const match = /keys=(\d+)/.exec(String(value));
      if (match) total += Number(match[1]);
    }
  }
  return total;
}

function statusOf(entry) {
  if (entry === undefined || entry === null) return 'PENDING';
  if (entry.timeout) return 'TIMEOUT';
  if (entry.error) return 'ERROR';
  return undefined;
}

function proxyStatus(entry) {
  const bad = statusOf(entry);
  if (bad !== undefined) return bad;
  if (!entry.stats?.online) return 'PENDING';
  return 'HEALTHY';
}

function statusLabel(status) {
  return h('span', { class: status === 'HEALTHY' ? 'good' : status === 'PENDING' ? 'warn' : 'bad' }, status);
}

function groupColor(gid) {
  if (gid === 0) return '#d9d9d9';
  return `hsl(${(gid * 137.508) % 360}, 62%, 52%)`;
}

// Stats views.

function groups() {
  return state.stats?.group?.models ?? [];
}

function serverStats(addr) {
  return state.stats?.group?.stats?.[addr];
}

function masterInfo(group) {
  const first = group.servers?.[0];
  return first === undefined ? undefined : serverStats(first.server)?.stats;
}

function totals() {
  let qps = 0;
  let sessions = 0;
  for (const entry of Object.values(state.stats?.proxy?.stats ?? {})) {
    if (entry?.stats) {
      qps += Number(entry.stats.ops?.qps ?? 0);
      sessions += Number(entry.stats.sessions?.alive ?? 0);
    }
  }
  let memory = 0;
  let keys = 0;
  for (const group of groups()) {
    const info = masterInfo(group);
    if (info) {
      memory += Number(info.used_memory ?? 0);
      keys += keysOf(info);
    }
  }
  return { qps, sessions, memory, keys };
}

/** Groups whose master per the sentinels differs from their first server (spec §13.3). */
function haConflicts(onlyGid) {
  const masters = state.stats?.sentinels?.masters ?? {};
  const lines = [];
  for (const group of groups()) {
    if (onlyGid !== undefined && group.id !== onlyGid) continue;
    const ha = masters[String(group.id)];
    const logical = group.servers?.[0]?.server;
    if (ha !== undefined && ha !== logical)
      lines.push(`group-[${group.id}] master=${logical ?? '(none)'}, HA master=${ha}`);
  }
  return lines;
}

// Rendering.

function renderOverview() {
  const o = state.overview ?? {};
  const config = o.config ?? {};
  const model = o.model ?? {};
  const t = totals();
  const slots = state.stats?.slots ?? [];
  const offline = slots.filter((s) => !s.group_id).length;
  const moving = slots.filter((s) => s.action?.state).length;
  const coordinator = config.coordinator_name ?? '';
  const dashboard = model.admin_addr ?? '';
  const rows = [
    ['Product Name', state.product],
    [
      'Coordinator',
      coordinator === ''
        ? '-'
        : `[${coordinator[0].toUpperCase()}${coordinator.slice(1)}] ${config.coordinator_addr ?? ''}`,
    ],
    [
      'Dashboard',
      dashboard === ''
        ? '-'
        : h('a', { href: forwardUrl('/topom'), target: '_blank', rel: 'noopener' }, dashboard),
    ],
    ['Version', o.version ?? '-'],
    ['Codis QPS', h('span', { id: 'total-qps' }, thousands(t.qps))],
    ['Sessions', thousands(t.sessions)],
    ['Redis Memory', humanBytes(t.memory)],
    ['Redis Keys', h('span', { id: 'total-keys' }, thousands(t.keys))],
    ['Proxies', h('span', { id: 'proxy-count' }, String(state.stats?.proxy?.models?.length ?? 0))],
    ['Groups', h('span', { id: 'group-count' }, String(groups().length))],
    ['Slots', `${slots.length - offline} online, ${offline} offline, ${moving} with an action`],
  ];
  fill(
    $('overview'),
    rows.map(([name, value]) => h('tr', {}, h('th', {}, name), h('td', {}, value))),
  );
}

function renderChart() {
  const svg = $('qps-chart');
  const ns = 'http://www.w3.org/2000/svg';
  const el = (tag, attrs, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const [width, height, left, bottom] = [420, 140, 44, 18];
  const samples = state.qps;
  const max = Math.max(1, ...samples.map((s) => s[1]));
  const children = [
    el('line', { x1: left, y1: 4, x2: left, y2: height - bottom, stroke: '#999' }),
    el('line', { x1: left, y1: height - bottom, x2: width - 4, y2: height - bottom, stroke: '#999' }),
    el('text', { x: 2, y: 12, 'font-size': 10 }, thousands(max)),
    el('text', { x: 2, y: height - bottom, 'font-size': 10 }, '0'),
  ];
  if (samples.length > 0) {
    const t0 = samples[0][0];
    const span = Math.max(1, samples[samples.length - 1][0] - t0);
    const points = samples.map(([t, q]) => {
      const x = left + ((t - t0) / span) * (width - left - 8);
      const y = height - bottom - (q / max) * (height - bottom - 8);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    children.push(
      el('polyline', { points: points.join(' '), fill: 'none', stroke: '#23395d', 'stroke-width': 2 }),
    );
    const last = new Date(samples[samples.length - 1][0]).toLocaleTimeString();
    children.push(el('text', { x: width - 70, y: height - 4, 'font-size': 10 }, last));
    children.push(
      el(
        'text',
        { x: left + 4, y: height - 4, 'font-size': 10 },
        `now: ${thousands(samples[samples.length - 1][1])} op/s`,
      ),
    );
  }
  svg.replaceChildren(...children);
  svg.dataset.samples = String(samples.length);
}

function renderGroupSummary() {
  const rows = groups().map((group) => {
    const info = masterInfo(group);
    return { id: group.id, memory: Number(info?.used_memory ?? 0), keys: keysOf(info) };
  });
  const maxMemory = Math.max(1, ...rows.map((r) => r.memory));
  const maxKeys = Math.max(1, ...rows.map((r) => r.keys));
  fill(
    $('group-summary'),
    h('tr', {}, h('th', {}, 'Group'), h('th', {}, 'Memory (master)'), h('th', {}, 'Keys (master)')),
    rows.length === 0
      ? h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'no groups yet'))
      : rows.map((r) =>
          h(
            'tr',
            { 'data-gid': r.id },
            h('td', {}, `Group-${r.id}`),
            h(
              'td',
              {},
              h('span', { class: 'bar', 'data-width': Math.round((r.memory / maxMemory) * 120) }),
              ` ${humanBytes(r.memory)}`,
            ),
            h(
              'td',
              {},
              h('span', { class: 'bar', 'data-width': Math.round((r.keys / maxKeys) * 120) }),
              ` ${thousands(r.keys)}`,
            ),
          ),
        ),
  );
  for (const bar of $('group-summary').querySelectorAll('.bar')) bar.style.width = `${bar.dataset.width}px`;
}

function renderProxies() {
  const models = state.stats?.proxy?.models ?? [];
  const head = h(
    'tr',
    {},
    [
      'ID',
      'Token',
      'Proxy Address',
      'Admin Address',
      'Data Center',
      'Status',
      'Sessions',
      'Commands',
      '',
    ].map((c) => h('th', {}, c)),
  );
  if (models.length === 0) {
    fill($('proxies'), head, h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'no proxies')));
    return;
  }
  const rows = models.map((p) => {
    const entry = state.stats?.proxy?.stats?.[p.token];
    const status = proxyStatus(entry);
    const s = entry?.stats;
    const switched = Boolean(s?.sentinels?.switched);
    const commands = s
      ? `total=${s.ops?.total ?? 0},fails=${s.ops?.fails ?? 0},rsp.errs=${s.ops?.redis?.errors ?? 0},qps=${s.ops?.qps ?? 0}`
      : '';
    return h(
      'tr',
      { 'data-token': p.token },
      h('td', {}, String(p.id)),
      h('td', { class: 'token' }, p.token),
      h(
        'td',
        {},
        h(
          'span',
          { class: switched ? 'bad' : '', title: switched ? 'HA: MASTER SWITCHED' : undefined },
          p.proxy_addr,
        ),
      ),
      h('td', {}, p.admin_addr),
      h('td', {}, p.datacenter ?? ''),
      h('td', { class: 'status' }, statusLabel(status)),
      h('td', {}, s ? `total=${s.sessions?.total ?? 0},alive=${s.sessions?.alive ?? 0}` : ''),
      h('td', {}, commands || statusLabel(status)),
      h(
        'td',
        { class: 'actions' },
        button(
          'SYNC',
          () =>
            act(`proxy/reinit/${state.xauth}/${p.token}`, {
              confirm: `Reinit and resync proxy: [${p.admin_addr}]`,
              conflicts: haConflicts(),
            }),
          {
            class: status === 'HEALTHY' && !switched ? 'good' : 'bad',
            title: 'reinit: push slots and sentinels again',
            'data-action': 'reinit',
          },
        ),
        ' ',
        button(
          '−',
          () =>
            act(`proxy/remove/${state.xauth}/${p.token}/0`, {
              confirm: `Remove and shutdown proxy: [${p.admin_addr}]`,
            }),
          {
            title: 'remove',
            'data-action': 'remove',
          },
        ),
        status === 'ERROR' || status === 'TIMEOUT'
          ? button(
              'X',
              () =>
                act(`proxy/remove/${state.xauth}/${p.token}/1`, {
                  confirm: `Force remove proxy: [${p.admin_addr}]`,
                }),
              {
                class: 'bad',
                title: 'force remove (the proxy does not answer)',
                'data-action': 'force-remove',
              },
            )
          : '',
      ),
    );
  });
  fill($('proxies'), head, rows);
}

function renderGroups() {
  const container = $('groups');
  const list = groups();
  if (list.length === 0) {
    fill(
      container,
      h('p', { class: 'muted', id: 'no-groups' }, 'This product has no groups yet: create one above.'),
    );
    return;
  }
  const haMasters = state.stats?.sentinels?.masters ?? {};
  const tables = list.map((group) => {
    const servers = group.servers ?? [];
    const promoting = Boolean(group.promoting?.state);
    const haMaster = haMasters[String(group.id)];
    const head = h(
      'tr',
      {},
      ['', 'Server', 'Data Center', 'Master', 'Sync Action', 'Replica Group', 'Memory', 'Keys', ''].map((c) =>
        h('th', {}, c),
      ),
    );
    const rows = servers.map((server, index) => {
      const entry = serverStats(server.server);
      const info = entry?.stats;
      const bad = statusOf(entry);
      const actual = info
        ? info.master_addr
          ? `${info.master_addr}:${info.master_link_status ?? ''}`
          : 'NO:ONE'
        : '';
      const expected = index === 0 ? 'NO:ONE' : `${servers[0]?.server}:up`;
      const actionState = server.action?.state ?? '';
      const maxmemory = Number(info?.maxmemory ?? 0);
      const first = [];
      if (promoting) {
        if (group.promoting.index === index) {
          first.push(
            button('PROMOTE', () => act(`group/promote/${state.xauth}/${group.id}/${server.server}`), {
              class: 'bad',
            }),
          );
        }
      } else if (index === 0) {
        first.push(
          button(
            'SYNC',
            () =>
              act(`group/resync/${state.xauth}/${group.id}`, {
                confirm: `Resync group-[${group.id}] to the proxies`,
                conflicts: haConflicts(group.id),
              }),
            {
              class: group.out_of_sync ? 'bad' : 'good',
              'data-action': 'resync',
            },
          ),
        );
      } else {
        first.push(
          button(
            'PROMOTE',
            () =>
              act(`group/promote/${state.xauth}/${group.id}/${server.server}`, {
                confirm: `Promote server ${server.server} to master of group-[${group.id}]`,
                conflicts:
                  haMaster !== undefined && haMaster !== server.server
                    ? [`group-[${group.id}] the sentinels' master is ${haMaster}`]
                    : [],
              }),
            { class: haMaster === server.server ? 'good' : 'warn', 'data-action': 'promote' },
          ),
        );
      }
      return h(
        'tr',
        { 'data-addr': server.server, 'data-role': index === 0 ? 'master' : 'replica' },
        h('td', {}, first),
        h(
          'td',
          {},
          h(
            'a',
            {
              href: forwardUrl(`/api/topom/group/info/${encodeURIComponent(server.server)}`),
              target: '_blank',
              rel: 'noopener',
              title: 'INFO',
            },
            'S',
          ),
          ' ',
          h('span', { class: 'addr' }, server.server),
          ' ',
          h('span', { class: 'muted' }, index === 0 ? 'master' : 'replica'),
          haMaster === server.server ? ' [HA]' : '',
        ),
        h('td', {}, server.datacenter ?? ''),
        h(
          'td',
          { class: 'actual-master' },
          actual === '' ? '' : h('span', { class: actual === expected ? '' : 'bad' }, actual),
        ),
        h(
          'td',
          {},
          actionState === ''
            ? button('SLAVEOF', () => act(`group/action/create/${state.xauth}/${server.server}`), {
                title: index === 0 ? 'SLAVEOF NO ONE' : `SLAVEOF ${servers[0]?.server}`,
                'data-action': 'slaveof',
              })
            : [
                h(
                  'span',
                  { class: actionState === 'pending' ? '' : 'state-active' },
                  actionState === 'pending' ? `pending:${server.action.index ?? ''}` : actionState,
                ),
                actionState === 'pending'
                  ? button('−', () => act(`group/action/remove/${state.xauth}/${server.server}`), {
                      title: 'CANCEL ACTION',
                    })
                  : '',
              ],
        ),
        h(
          'td',
          {},
          h('input', {
            type: 'checkbox',
            checked: Boolean(server.replica_group),
            disabled: promoting,
            'aria-label': 'replica group',
            onchange: (event) =>
              act(
                `group/replica-groups/${state.xauth}/${group.id}/${server.server}/${event.target.checked ? 1 : 0}`,
              ),
          }),
        ),
        h(
          'td',
          {},
          info
            ? `${humanBytes(Number(info.used_memory ?? 0))} / ${maxmemory === 0 ? 'INF.' : humanBytes(maxmemory)}`
            : '',
        ),
        h(
          'td',
          { class: 'keys' },
          bad !== undefined
            ? statusLabel(bad)
            : Object.entries(info ?? {})
                .filter(([name]) => /^db\d+$/.test(name))
                .map(([name, value]) => h('div', {}, `${name}:${value}`)),
        ),
        h(
          'td',
          {},
          index > 0 || servers.length === 1
            ? button(
                '−',
                () =>
                  act(`group/del/${state.xauth}/${group.id}/${server.server}`, {
                    confirm: `Remove server ${server.server} from group-[${group.id}]`,
                    conflicts:
                      haMaster === server.server
                        ? [`${server.server} is the sentinels' master of group-[${group.id}]`]
                        : [],
                  }),
                { title: 'remove server', 'data-action': 'remove-server' },
              )
            : '',
        ),
      );
    });
    const master = masterInfo(group);
    return h(
      'table',
      { class: 'group', 'data-gid': group.id },
      h(
        'caption',
        {},
        h('span', { class: promoting ? 'bad' : '' }, `Group [ ${group.id} ]`),
        group.out_of_sync ? h('span', { class: 'bad' }, ' (OUT OF SYNC)') : '',
        haMaster !== undefined && !servers.some((s) => s.server === haMaster)
          ? h('span', { class: 'bad' }, ` [HA: ${haMaster}]`)
          : '',
        master
          ? h(
              'span',
              { class: 'muted' },
              `  memory ${humanBytes(Number(master.used_memory ?? 0))}, keys ${thousands(keysOf(master))}`,
            )
          : '',
        servers.length === 0 && !promoting
          ? [
              ' ',
              button(
                'remove group',
                () =>
                  act(`group/remove/${state.xauth}/${group.id}`, { confirm: `Remove group-[${group.id}]` }),
                { 'data-action': 'remove-group' },
              ),
            ]
          : '',
      ),
      head,
      servers.length === 0 ? h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'no servers')) : rows,
    );
  });
  fill(container, tables);
}

function renderSlots() {
  const slots = state.stats?.slots ?? [];
  const counts = new Map();
  const incoming = new Map();
  for (const slot of slots) {
    const gid = slot.group_id ?? 0;
    counts.set(gid, (counts.get(gid) ?? 0) + 1);
    if (slot.action?.state)
      incoming.set(slot.action.target_id, (incoming.get(slot.action.target_id) ?? 0) + 1);
  }
  const ids = [...new Set([...counts.keys(), ...incoming.keys()])].sort((a, b) => a - b);
  fill(
    $('slot-legend'),
    ids.map((gid) =>
      h(
        'span',
        { class: 'legend', 'data-gid': gid },
        h('span', { class: 'swatch', 'data-gid': gid }),
        gid === 0 ? `Offline:${counts.get(0) ?? 0}` : `Group-${gid}:${counts.get(gid) ?? 0}`,
        incoming.get(gid) ? ` (+${incoming.get(gid)} incoming)` : '',
      ),
    ),
  );
  for (const swatch of $('slot-legend').querySelectorAll('.swatch'))
    swatch.style.background = groupColor(Number(swatch.dataset.gid));
  const map = $('slot-map');
  if (map.children.length !== 1024) {
    map.replaceChildren(...Array.from({ length: 1024 }, (_, i) => h('div', { 'data-slot': i })));
  }
  for (let i = 0; i < 1024; i++) {
    const cell = map.children[i];
    const slot = slots[i] ?? { id: i, group_id: 0, action: {} };
    const gid = slot.group_id ?? 0;
    const actionState = slot.action?.state ?? '';
    const target = slot.action?.target_id;
    cell.style.background = groupColor(gid);
    cell.dataset.group = String(gid);
    cell.className = actionState === '' ? '' : actionState === 'pending' ? 'pending' : 'migrating';
    if (actionState === '') delete cell.dataset.target;
    else cell.dataset.target = String(target);
    cell.title =
      actionState === ''
        ? gid === 0
          ? `Slot-${i} is Offline`
          : `Slot-${i}: Group-${gid}`
        : actionState === 'pending'
          ? `Slot-${i}: Group-${gid} will be moved to Group-${target}`
          : `Slot-${i}: Group-${gid} --> Group-${target} (${actionState})`;
  }
  const action = state.stats?.slot_action ?? {};
  fill($('action-enabled'), h('strong', {}, action.disabled ? 'Disabled' : 'Enabled'));
  $('action-interval').placeholder = String(action.interval ?? 0);
  const acting = slots.filter((s) => s.action?.state);
  const pending = acting.filter((s) => s.action.state === 'pending').length;
  fill(
    $('action-status'),
    acting.length === 0 ? 'no migrations' : `${acting.length - pending} migrating, ${pending} pending`,
    action.progress?.status ? ` — ${action.progress.status}` : '',
  );
  const table = $('actions');
  table.hidden = !$('show-actions').checked || acting.length === 0;
  fill(
    table,
    h(
      'tr',
      {},
      ['Slot', 'Group', 'Target', 'Index', 'Status', ''].map((c) => h('th', {}, c)),
    ),
    acting.map((s) =>
      h(
        'tr',
        { 'data-slot': s.id },
        h('td', {}, String(s.id)),
        h('td', {}, String(s.group_id)),
        h('td', {}, String(s.action.target_id)),
        h('td', {}, String(s.action.index ?? '')),
        h('td', { class: s.action.state === 'pending' ? '' : 'state-active' }, s.action.state),
        h(
          'td',
          {},
          s.action.state === 'pending'
            ? button('−', () => act(`slots/action/remove/${state.xauth}/${s.id}`), { title: 'cancel' })
            : '',
        ),
      ),
    ),
  );
}

function sentinelSummary(info) {
  const name = new RegExp(`^${state.product.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
  let masters = 0;
  let down = 0;
  let slaves = 0;
  let sentinels = 0;
  for (const [key, value] of Object.entries(info ?? {})) {
    if (!/^master\d+$/.test(key)) continue;
    const fields = Object.fromEntries(
      String(value)
        .split(',')
        .map((kv) => kv.split('=')),
    );
    if (!name.test(fields.name ?? '')) continue;
    masters++;
    if (fields.status !== 'ok') down++;
    slaves += Number(fields.slaves ?? 0);
    sentinels += Number(fields.sentinels ?? 0);
  }
  const avg = (n) => (masters === 0 ? '0.00' : (n / masters).toFixed(2));
  return `masters=${masters},down=${down},slaves=${avg(slaves)},sentinels=${avg(sentinels)}`;
}

/**
 * What a sentinel reports for each group (master and replicas, by run id) against the run ids the
 * dashboard sees: `[+]` for servers unknown to the dashboard, `[-]` for servers the sentinel misses.
 */
function runIdMismatches(monitored) {
  const lines = [];
  for (const group of groups()) {
    const view = monitored?.[`${state.product}-${group.id}`];
    if (view === undefined || view === null) continue;
    const seen = new Map();
    for (const node of [view.master, ...(view.slaves ?? [])]) {
      if (node?.runid) seen.set(node.runid, `${node.ip}:${node.port}`);
    }
    const known = new Map();
    for (const server of group.servers ?? []) {
      const runId = serverStats(server.server)?.stats?.run_id;
      if (runId) known.set(runId, server.server);
    }
    for (const [runId, addr] of seen) {
      if (!known.has(runId)) lines.push(`[+]group=${group.id},server=${addr},runid=${runId}`);
    }
    for (const [runId, addr] of known) {
      if (!seen.has(runId)) lines.push(`[-]group=${group.id},server=${addr},runid=${runId}`);
    }
  }
  return lines;
}

function renderSentinels() {
  const s = state.stats?.sentinels ?? {};
  const servers = s.model?.servers ?? [];
  const head = h(
    'tr',
    {},
    h(
      'th',
      {},
      button(
        'SYNC',
        () =>
          act(`sentinels/resync-all/${state.xauth}`, {
            confirm: `Resync all sentinels:\n${servers.join('\n')}`,
            conflicts: haConflicts(),
          }),
        {
          class: s.model?.out_of_sync ? 'bad' : 'good',
          id: 'sentinels-resync',
        },
      ),
    ),
    h('th', {}, 'Sentinels', s.model?.out_of_sync ? h('span', { class: 'bad' }, ' (OUT OF SYNC)') : ''),
    h('th', {}, 'Status'),
    h('th', {}, ''),
  );
  const rows = servers.map((addr) => {
    const entry = s.stats?.[addr];
    const bad = statusOf(entry);
    return h(
      'tr',
      { 'data-addr': addr },
      h(
        'td',
        {},
        h(
          'a',
          {
            href: forwardUrl(`/api/topom/sentinels/info/${encodeURIComponent(addr)}/monitored`),
            target: '_blank',
            rel: 'noopener',
          },
          'WATCHED',
        ),
        ' ',
        h(
          'a',
          {
            href: forwardUrl(`/api/topom/sentinels/info/${encodeURIComponent(addr)}`),
            target: '_blank',
            rel: 'noopener',
          },
          'S',
        ),
      ),
      h('td', {}, addr),
      h(
        'td',
        { class: 'sentinel-status' },
        bad !== undefined ? statusLabel(bad) : sentinelSummary(entry.stats),
        bad !== undefined
          ? ''
          : runIdMismatches(entry.sentinel).map((line) => h('div', { class: 'bad run-id' }, line)),
      ),
      h(
        'td',
        {},
        button(
          '−',
          () => act(`sentinels/del/${state.xauth}/${addr}/0`, { confirm: `Remove sentinel ${addr}` }),
          { title: 'remove' },
        ),
        bad === 'ERROR' || bad === 'TIMEOUT'
          ? button(
              'X',
              () =>
                act(`sentinels/del/${state.xauth}/${addr}/1`, { confirm: `Force remove sentinel ${addr}` }),
              {
                class: 'bad',
                title: 'force remove',
              },
            )
          : '',
      ),
    );
  });
  fill(
    $('sentinels'),
    head,
    servers.length === 0 ? h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'no sentinels')) : rows,
  );
}

function render() {
  renderOverview();
  renderChart();
  renderGroupSummary();
  renderProxies();
  renderGroups();
  renderSlots();
  renderSentinels();
  fill($('last-update'), `updated ${new Date().toLocaleTimeString()}`);
}

// Loading.

function showLogin() {
  $('login').hidden = false;
  $('main').hidden = true;
  $('empty').hidden = true;
  stopTimer();
  $('login-password').focus();
}

function stopTimer() {
  clearInterval(state.timer);
  state.timer = undefined;
}

function startTimer() {
  stopTimer();
  state.timer = setInterval(() => void refresh(), Number($('refresh').value) * 1000);
}

async function refresh() {
  if (state.product === '' || state.refreshing) return;
  const generation = state.generation;
  state.refreshing = true;
  try {
    const stats = await call('GET', forwardUrl(`/api/topom/stats/${state.xauth}`));
    if (generation !== state.generation) return;
    if (state.overview === undefined) state.overview = await call('GET', forwardUrl('/topom'));
    if (generation !== state.generation) return;
    state.stats = stats;
    state.qps.push([Date.now(), totals().qps]);
    if (state.qps.length > 60) state.qps.shift();
    $('main').hidden = false;
    $('empty').hidden = true;
    render();
  } catch (error) {
    if (generation === state.generation) showError(error);
  } finally {
    state.refreshing = false;
  }
}

async function selectProduct(name) {
  state.generation++;
  state.product = name;
  state.xauth = name === '' ? '' : dashboardXAuth(name);
  state.overview = undefined;
  state.stats = undefined;
  state.qps = [];
  state.refreshing = false;
  stopTimer();
  clearError();
  $('product-select').value = name;
  $('main').hidden = true;
  if (name === '') {
    $('empty').hidden = false;
    return;
  }
  fill($('empty'), `Loading ${name} …`);
  $('empty').hidden = false;
  const generation = state.generation;
  try {
    state.overview = await call('GET', forwardUrl('/topom'));
    if (generation !== state.generation) return;
    state.stats = state.overview.stats;
  } catch (error) {
    if (generation !== state.generation) return;
    showError(new UiError(`cannot load product ${name}: ${error.message}`));
    fill($('empty'), `Product ${name} is not available right now; it is retried every refresh.`);
    state.overview = undefined;
    startTimer();
    return;
  }
  if (state.stats === undefined) await refresh();
  else {
    state.qps.push([Date.now(), totals().qps]);
    $('main').hidden = false;
    $('empty').hidden = true;
    render();
  }
  startTimer();
}

async function loadProducts() {
  let products;
  try {
    products = await call('GET', '/list');
  } catch (error) {
    showError(error);
    return;
  }
  $('login').hidden = true;
  const select = $('product-select');
  select.replaceChildren(
    h('option', { value: '' }, products.length === 0 ? '(no products)' : '(choose a product)'),
    ...products.map((p) => h('option', { value: p }, p)),
  );
  const session = await call('GET', '/session').catch(() => ({}));
  $('logout').hidden = !session.login;
  const wanted = decodeURIComponent(location.hash.slice(1));
  if (products.length === 0) {
    fill(
      $('empty'),
      'No products found: no dashboard is running in the coordinator (or the dashboard list is empty).',
    );
    $('empty').hidden = false;
    return;
  }
  if (wanted !== '' && products.includes(wanted)) await selectProduct(wanted);
  else if (wanted !== '') {
    showError(new UiError(`unknown product ${wanted}`));
    await selectProduct('');
  } else if (products.length === 1) location.hash = encodeURIComponent(products[0]);
  else await selectProduct('');
}

// Forms.

function int(id, name, min, max) {
  const text = $(id).value.trim();
  if (!/^-?\d+$/.test(text))
    throw new UiError(`${name} must be a number${text === '' ? '' : `, not ${JSON.stringify(text)}`}`);
  const n = Number(text);
  if (n < min || n > max) throw new UiError(`${name} must be in [${min},${max}]`);
  return n;
}

function text(id, name) {
  const value = $(id).value.trim();
  if (value === '') throw new UiError(`${name} is empty`);
  if (/[/?#\s]/.test(value)) throw new UiError(`${name} must not contain '/', '?', '#' or spaces`);
  return value;
}

function onForm(id, handler) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    void run(handler);
  });
}

function onClick(id, handler) {
  $(id).addEventListener('click', () => void run(handler));
}

async function run(handler) {
  try {
    await handler();
  } catch (error) {
    showError(error);
  }
}

function rebalanceLines(plan) {
  const byGroup = new Map();
  for (const [sid, gid] of Object.entries(plan)
    .map(([s, g]) => [Number(s), Number(g)])
    .sort((a, b) => a[0] - b[0])) {
    const ranges = byGroup.get(gid) ?? [];
    const last = ranges[ranges.length - 1];
    if (last && last[1] === sid - 1) last[1] = sid;
    else ranges.push([sid, sid]);
    byGroup.set(gid, ranges);
  }
  return [...byGroup.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([gid, ranges]) => `group-[${gid}] <== ${ranges.map(([b, e]) => `[${b},${e}]`).join(',')}`);
}

function setup() {
  $('error-close').addEventListener('click', clearError);
  $('product-select').addEventListener('change', (event) => {
    location.hash = encodeURIComponent(event.target.value);
  });
  window.addEventListener('hashchange', () => void selectProduct(decodeURIComponent(location.hash.slice(1))));
  $('refresh').addEventListener('change', () => {
    if (state.timer !== undefined) startTimer();
  });
  $('admin-secret').value = sessionStorage.getItem('codis-admin-secret') ?? '';
  $('admin-secret').addEventListener('change', () =>
    sessionStorage.setItem('codis-admin-secret', $('admin-secret').value),
  );
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void run(async () => {
      await call('POST', '/login', { password: $('login-password').value });
      $('login-password').value = '';
      clearError();
      await loadProducts();
    });
  });
  onClick('logout', async () => {
    await call('POST', '/logout');
    await selectProduct('');
    showLogin();
  });
  $('show-actions').addEventListener('change', () => renderSlots());

  onForm('proxy-form', () =>
    act(`proxy/create/${state.xauth}/${text('proxy-addr', 'proxy admin address')}`, { done: 'proxy added' }),
  );
  onForm('group-form', () =>
    act(`group/create/${state.xauth}/${int('group-id', 'group', 1, 9999)}`, { done: 'group created' }),
  );
  onForm('server-form', () => {
    const gid = int('server-group', 'group', 1, 9999);
    const addr = text('server-addr', 'server address');
    const dc = $('server-dc').value.trim();
    if (/[/?#\s]/.test(dc)) throw new UiError("data center must not contain '/', '?', '#' or spaces");
    return act(`group/add/${state.xauth}/${gid}/${addr}${dc === '' ? '' : `/${dc}`}`, {
      done: 'server added',
    });
  });
  onClick('groups-resync-all', () =>
    act(`group/resync-all/${state.xauth}`, {
      confirm: 'Resync all groups to the proxies',
      conflicts: haConflicts(),
    }),
  );
  onClick('replica-enable-all', () =>
    act(`group/replica-groups-all/${state.xauth}/1`, {
      confirm: 'Allow reads from the replicas of every group',
    }),
  );
  onClick('replica-disable-all', () =>
    act(`group/replica-groups-all/${state.xauth}/0`, {
      confirm: 'Stop reads from the replicas of every group',
    }),
  );
  onForm('range-form', () => {
    const [b, e, g] = [
      int('range-begin', 'begin', 0, 1023),
      int('range-end', 'end', 0, 1023),
      int('range-group', 'group', 1, 9999),
    ];
    if (b > e) throw new UiError('begin must not be greater than end');
    return act(`slots/action/create-range/${state.xauth}/${b}/${e}/${g}`, {
      confirm: `Migrate Slots-[${b},${e}] to Group-[${g}]`,
      done: `migration of slots [${b},${e}] to group ${g} queued`,
    });
  });
  onClick('assign-range', () => {
    const [b, e, g] = [
      int('range-begin', 'begin', 0, 1023),
      int('range-end', 'end', 0, 1023),
      int('range-group', 'group', 1, 9999),
    ];
    if (b > e) throw new UiError('begin must not be greater than end');
    const body = [];
    for (let sid = b; sid <= e; sid++) body.push({ id: sid, group_id: g, action: {} });
    return act(`slots/assign/${state.xauth}`, {
      body,
      confirm: `Assign Slots-[${b},${e}] to Group-[${g}] directly (no data is moved)`,
      done: `slots [${b},${e}] assigned to group ${g}`,
    });
  });
  onForm('slot-form', () => {
    const [sid, gid] = [int('slot-id', 'slot', 0, 1023), int('slot-group', 'group', 1, 9999)];
    return act(`slots/action/create/${state.xauth}/${sid}/${gid}`, {
      confirm: `Migrate Slot-[${sid}] to Group-[${gid}]`,
    });
  });
  onForm('some-form', () => {
    const [num, from, to] = [
      int('some-num', 'number', 1, 1024),
      int('some-from', 'from group', 1, 9999),
      int('some-to', 'to group', 1, 9999),
    ];
    return act(`slots/action/create-some/${state.xauth}/${from}/${to}/${num}`, {
      confirm: `Migrate ${num} slots from Group-[${from}] to Group-[${to}]`,
    });
  });
  onClick('action-enable', () =>
    act(`slots/action/disabled/${state.xauth}/0`, { done: 'slot actions enabled' }),
  );
  onClick('action-disable', () =>
    act(`slots/action/disabled/${state.xauth}/1`, { done: 'slot actions disabled' }),
  );
  onForm('interval-form', () =>
    act(`slots/action/interval/${state.xauth}/${int('action-interval', 'interval', 0, 1000000)}`, {
      done: 'interval updated',
    }),
  );
  onClick('rebalance', async () => {
    if (state.product === '') return;
    const plan = await call('PUT', forwardUrl(`/api/topom/slots/rebalance/${state.xauth}/0`));
    const lines = rebalanceLines(plan ?? {});
    if (lines.length === 0) {
      notice('nothing to rebalance');
      return;
    }
    if (!(await confirmAction(lines.join('\n'), 'Preview of Auto-Rebalance'))) return;
    await act(`slots/rebalance/${state.xauth}/1`, { done: 'rebalance queued' });
  });
  onForm('sentinel-form', () =>
    act(`sentinels/add/${state.xauth}/${text('sentinel-addr', 'sentinel address')}`, {
      done: 'sentinel added',
    }),
  );

  void loadProducts();
}

setup();
