// tunerbridge web UI: one small ES module, no framework. Pages are hash routes rendered from the admin API;
// live updates arrive over SSE (/api/events). The DOM is built with `h()` (text nodes only, never HTML
// with data), and there is no inline script or style, so the strict CSP holds.

const view = document.getElementById('view');
const liveBadge = document.getElementById('live');

// ---------- helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat())
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(method, path, body) {
  const res = await fetch(`/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    location.href = '/login';
    throw new Error('signed out');
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

function toast(text) {
  const t = h('div', { class: 'toast', role: 'status' }, text);
  document.getElementById('toasts').append(t);
  setTimeout(() => t.remove(), 6000);
}

async function act(fn, okText) {
  try {
    const r = await fn();
    if (okText) toast(okText);
    return r;
  } catch (err) {
    toast(`Error: ${err.message}`);
    return undefined;
  }
}

/** One end of a switch: its source id when known, else the candidate label. */
const endName = (w, end) => w[`${end}Source`] ?? w[end] ?? '?';
const fmtBitrate = (bps) => (typeof bps === 'number' ? `${(bps / 1e6).toFixed(1)} Mb/s` : '–');
const fmtTime = (t) => (t === undefined || t === null ? '–' : new Date(t).toLocaleTimeString());
const fmtAge = (t) => {
  if (!t) return 'never';
  const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};

function section(title, ...children) {
  return h('section', {}, h('h2', {}, title), ...children);
}

function table(headers, rows, attrs = {}) {
  return h(
    'table',
    attrs,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', {}, x)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

// ---------- live updates ----------

const liveHandlers = new Set();
let events;
function connectEvents() {
  events = new EventSource('/api/events');
  events.onopen = () => {
    liveBadge.textContent = 'live';
    liveBadge.className = 'live on';
  };
  events.onerror = () => {
    liveBadge.textContent = 'reconnecting';
    liveBadge.className = 'live off';
  };
  const types = [
    'session-start',
    'session-stop',
    'client-join',
    'client-leave',
    'failover',
    'recovered',
    'all-failed',
    'guide-progress',
    'guide-refreshed',
    'lineup-changed',
  ];
  for (const type of types) {
    events.addEventListener(type, (m) => {
      const e = JSON.parse(m.data);
      // A session's first source is recorded as a switch too ('start'): only real switches deserve a toast.
      if (type === 'failover' && e.data.reason !== 'start')
        toast(
          `Channel ${e.data.guideNumber}: switched ${endName(e.data, 'from')} → ${endName(e.data, 'to')} (${e.data.reason})`,
        );
      if (type === 'all-failed') toast(`Channel ${e.data.guideNumber}: every source failed`);
      for (const fn of liveHandlers) fn(e);
    });
  }
}

/** Run `fn` at most every `ms`, trailing call included (bursts of events → one refresh). */
function throttle(fn, ms) {
  let timer = null;
  let pending = false;
  return () => {
    if (timer) {
      pending = true;
      return;
    }
    fn();
    timer = setTimeout(() => {
      timer = null;
      if (pending) {
        pending = false;
        fn();
      }
    }, ms);
  };
}

// ---------- dashboard ----------

async function dashboard(root, onLive, cleanup) {
  const slots = h('div', { class: 'slots', id: 'tuner-slots' });
  const sessions = h('div', { id: 'sessions' });
  const switches = h('div', { id: 'switches' });
  const fallback = h('div', { class: 'row', id: 'fallback' });
  const summary = h('p', { class: 'muted', id: 'summary' });
  root.append(
    section('Tuners', summary, slots),
    section('Live sessions', sessions),
    section('Fallback', fallback),
    section('Recent switches', switches),
  );

  // The table is redrawn every few seconds: remember each session's chosen target across redraws.
  const picks = new Map();
  async function render() {
    const st = await api('GET', '/status');
    summary.textContent = `Version ${st.version} · up ${Math.round(st.uptimeSec / 60)} min · ${st.tuners.inUse} of ${st.tuners.total} tuners in use`;
    slots.replaceChildren(
      ...st.sources.map((s) =>
        h(
          'div',
          { class: 'source-slots', 'data-source': s.id },
          h(
            'div',
            {},
            h('strong', {}, s.name),
            ' ',
            h('span', { class: s.status === 'ok' ? 'ok' : 'warn' }, s.status),
          ),
          h(
            'div',
            {},
            Array.from({ length: Math.max(s.limit, s.inUse) }, (_, i) =>
              h('span', {
                class: i < s.inUse ? 'slot busy' : 'slot',
                title: i < s.inUse ? 'in use' : 'free',
              }),
            ),
          ),
          h(
            'div',
            { class: 'muted' },
            `${s.inUse} / ${s.limit} in use`,
            s.providerMaxConnections !== undefined ? ` · provider allows ${s.providerMaxConnections}` : '',
          ),
          s.error ? h('div', { class: 'error' }, s.error) : null,
        ),
      ),
    );
    const sourceIds = st.sources.map((s) => s.id);
    for (const gn of picks.keys()) if (!st.sessions.some((s) => s.guideNumber === gn)) picks.delete(gn);
    sessions.replaceChildren(
      st.sessions.length === 0
        ? h('p', { class: 'muted' }, 'No one is watching.')
        : table(
            ['Channel', 'Source', 'Bitrate', 'Clients', 'Since', 'Actions'],
            st.sessions.map((s) => {
              const pick = h(
                'select',
                {
                  'aria-label': 'Switch to source',
                  onchange: (ev) => picks.set(s.guideNumber, ev.target.value),
                },
                h('option', { value: '' }, 'next stream'),
                sourceIds.map((id) => h('option', { value: id }, id)),
              );
              pick.value = picks.get(s.guideNumber) ?? '';
              return h(
                'tr',
                { 'data-session': s.guideNumber },
                h('td', {}, `${s.guideNumber} ${s.channelName ?? ''}`),
                h('td', { class: 'session-source' }, s.sourceId ?? '–'),
                h('td', { class: 'session-bitrate' }, fmtBitrate(s.bitrate)),
                h('td', {}, s.clients.map((c) => c.address ?? c.id).join(', ') || '–'),
                h('td', {}, fmtTime(s.startedAt)),
                h(
                  'td',
                  { class: 'row' },
                  pick,
                  h(
                    'button',
                    {
                      class: 'switch',
                      onclick: () =>
                        act(
                          () =>
                            api(
                              'POST',
                              `/streams/${encodeURIComponent(s.guideNumber)}/switch`,
                              pick.value ? { sourceId: pick.value } : {},
                            ),
                          'Switch requested',
                        ).then(render),
                    },
                    'Switch',
                  ),
                  h(
                    'button',
                    {
                      class: 'danger kill',
                      onclick: () =>
                        act(
                          () => api('DELETE', `/streams/${encodeURIComponent(s.guideNumber)}`),
                          'Session stopped',
                        ).then(render),
                    },
                    'Stop',
                  ),
                ),
              );
            }),
          ),
    );
    const fb = st.fallback ?? {};
    const box = (key, label) =>
      h(
        'label',
        {},
        h('input', {
          type: 'checkbox',
          name: key,
          checked: !!fb[key],
          onchange: (ev) =>
            act(
              () => api('PUT', '/fallback', { [key]: ev.target.checked }),
              `${label}: ${ev.target.checked ? 'on' : 'off'}`,
            ),
        }),
        ' ',
        label,
      );
    fallback.replaceChildren(
      box('manual', 'Manual fallback (use backup sources now)'),
      box('auto', 'Automatic failover'),
    );
    switches.replaceChildren(
      st.switches.length === 0
        ? h('p', { class: 'muted' }, 'No switches yet.')
        : table(
            ['Time', 'Channel', 'From', 'To', 'Reason', 'Gap'],
            st.switches
              .slice(0, 20)
              .map((w) =>
                h(
                  'tr',
                  { class: 'switch-row' },
                  h('td', {}, fmtTime(w.at)),
                  h('td', {}, w.guideNumber ?? ''),
                  h('td', { class: 'switch-from', title: w.from ?? '' }, endName(w, 'from')),
                  h('td', { class: 'switch-to', title: w.to ?? '' }, endName(w, 'to')),
                  h('td', {}, w.reason ?? ''),
                  h('td', {}, w.gapMs !== undefined ? `${w.gapMs} ms` : ''),
                ),
              ),
          ),
    );
  }
  await render();
  const refresh = throttle(() => render().catch(() => {}), 500);
  onLive(refresh);
  // Bitrates and client counts change without events: poll while the page is open.
  const timer = setInterval(refresh, 2000);
  cleanup(() => clearInterval(timer));
}

// ---------- sources ----------

/** [path, value] pairs of the scalar fields of a (nested) test result, for display. */
function flatten(o, prefix = '') {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? flatten(v, `${prefix}${k}.`)
      : Array.isArray(v) || k === 'ok'
        ? []
        : [[`${prefix}${k}`, v]],
  );
}

const FORM_FIELDS = [
  ['type', 'Type'],
  ['name', 'Name'],
  ['url', 'URL (panel or playlist)'],
  ['username', 'Username'],
  ['password', 'Password'],
  ['maxConnections', 'Max connections'],
  ['priority', 'Priority (lower first)'],
  ['enabled', 'Enabled'],
];

async function sources(root, onLive) {
  const list = h('div', { id: 'source-list' });
  const formBox = h('div', { id: 'source-form' });
  root.append(
    section(
      'Sources',
      list,
      h(
        'p',
        {},
        h('button', { class: 'primary', id: 'add-source', onclick: () => edit(null) }, 'Add source'),
      ),
    ),
    formBox,
  );

  async function render() {
    const items = await api('GET', '/sources');
    list.replaceChildren(
      items.length === 0
        ? h('p', { class: 'muted' }, 'No sources yet.')
        : table(
            ['Id', 'Name', 'Type', 'Status', 'Channels', 'In use', ''],
            items.map((s) =>
              h(
                'tr',
                { 'data-source': s.id },
                h('td', {}, s.id),
                h('td', {}, s.definition.name ?? ''),
                h('td', {}, s.definition.type ?? ''),
                h(
                  'td',
                  { class: s.status?.status === 'ok' ? 'ok' : 'warn' },
                  s.status?.status ?? 'pending',
                  s.status?.error ? h('div', { class: 'error' }, s.status.error) : null,
                ),
                h('td', {}, s.status?.channelCount ?? '–'),
                h('td', {}, s.status ? `${s.status.inUse} / ${s.status.limit}` : '–'),
                h(
                  'td',
                  { class: 'row' },
                  h('button', { onclick: () => edit(s) }, 'Edit'),
                  h(
                    'button',
                    { onclick: () => test(`/sources/${encodeURIComponent(s.id)}/test`, undefined) },
                    'Test',
                  ),
                  h(
                    'button',
                    {
                      onclick: () =>
                        act(
                          () => api('POST', `/sources/${encodeURIComponent(s.id)}/refresh`),
                          'Refresh started',
                        ),
                    },
                    'Refresh',
                  ),
                  h(
                    'button',
                    {
                      class: 'danger',
                      onclick: () =>
                        confirm(`Delete source ${s.id}?`) &&
                        act(() => api('DELETE', `/sources/${encodeURIComponent(s.id)}`), 'Deleted').then(
                          render,
                        ),
                    },
                    'Delete',
                  ),
                ),
              ),
            ),
          ),
    );
  }

  const result = h('div', { id: 'test-result' });
  async function test(path, body) {
    result.replaceChildren(h('p', { class: 'muted' }, 'Testing…'));
    const r = await act(() => api('POST', path, body));
    if (!r) return result.replaceChildren();
    const info = r.result && typeof r.result === 'object' ? r.result : {};
    result.replaceChildren(
      r.ok
        ? h(
            'div',
            { class: 'ok' },
            'Login OK. ',
            flatten(info).map(([k, v]) => h('span', { class: 'mono' }, `${k}: ${v}  `)),
          )
        : h('div', { class: 'error' }, `Failed: ${r.error}`),
    );
  }

  function edit(existing) {
    result.replaceChildren();
    const def = existing ? { ...existing.definition } : { type: 'xtream', enabled: true };
    const inputs = {};
    const extra = Object.fromEntries(
      Object.entries(def).filter(([k]) => !FORM_FIELDS.some(([f]) => f === k)),
    );
    const idInput = h('input', {
      name: 'id',
      value: existing?.id ?? '',
      disabled: !!existing,
      required: true,
      pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]*',
    });
    const fields = FORM_FIELDS.map(([key, label]) => {
      let input;
      if (key === 'type')
        input = h(
          'select',
          { name: key },
          ['xtream', 'm3u'].map((t) => h('option', { value: t, selected: def.type === t }, t)),
        );
      else if (key === 'enabled')
        input = h('input', { type: 'checkbox', name: key, checked: def.enabled !== false });
      else if (key === 'maxConnections' || key === 'priority')
        input = h('input', { type: 'number', class: 'num', name: key, value: def[key] ?? '' });
      else
        input = h('input', {
          name: key,
          type: key === 'password' ? 'password' : 'text',
          value: def[key] ?? '',
          autocomplete: 'off',
        });
      inputs[key] = input;
      return h('label', {}, h('span', {}, label), input);
    });
    const advanced = h(
      'textarea',
      { name: 'advanced', 'aria-label': 'Other fields (JSON)' },
      JSON.stringify(extra, null, 2),
    );
    const collect = () => {
      let more = {};
      try {
        more = advanced.value.trim() ? JSON.parse(advanced.value) : {};
      } catch {
        throw new Error('advanced: not valid JSON');
      }
      const out = { ...more };
      for (const [key] of FORM_FIELDS) {
        const el = inputs[key];
        if (key === 'enabled') out.enabled = el.checked;
        else if (el.type === 'number') {
          if (el.value !== '') out[key] = Number(el.value);
        } else if (el.value !== '') out[key] = el.value;
      }
      return out;
    };
    const form = h(
      'form',
      {
        id: 'source-edit',
        onsubmit: async (ev) => {
          ev.preventDefault();
          const saved = await act(
            () =>
              existing
                ? api('PUT', `/sources/${encodeURIComponent(existing.id)}`, { definition: collect() })
                : api('POST', '/sources', { id: idInput.value, definition: collect() }),
            'Saved',
          );
          if (saved) {
            formBox.replaceChildren();
            await render();
          }
        },
      },
      h('label', {}, h('span', {}, 'Id (file name)'), idInput),
      fields,
      h('label', {}, h('span', {}, 'Other fields (JSON)'), advanced),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'primary' }, 'Save'),
        h(
          'button',
          {
            type: 'button',
            class: 'test',
            onclick: () =>
              act(async () => test('/sources/test', { id: existing?.id, definition: collect() })),
          },
          'Test login',
        ),
        h('button', { type: 'button', onclick: () => formBox.replaceChildren() }, 'Cancel'),
      ),
      result,
    );
    formBox.replaceChildren(section(existing ? `Edit ${existing.id}` : 'Add source', form));
  }

  await render();
  onLive((e) => e.type === 'lineup-changed' && render().catch(() => {}));
}

// ---------- channels ----------

async function channels(root, onLive) {
  const search = h('input', {
    type: 'search',
    placeholder: 'Search name or number',
    id: 'channel-search',
    'aria-label': 'Search channels',
  });
  const onlyDisabled = h('input', { type: 'checkbox' });
  const list = h('div', { id: 'channel-list' });
  const count = h('span', { class: 'muted' });
  // Channels ticked for merging, in the order they were ticked: the first one keeps its number.
  let picked = [];
  const mergeButton = h(
    'button',
    {
      type: 'button',
      id: 'merge-channels',
      disabled: true,
      title: 'Merge the ticked channels into the first one ticked (it keeps its number)',
      onclick: async () => {
        const r = await act(() => api('POST', '/channels/merge', { keys: picked }));
        if (!r) return;
        toast(`Merged ${picked.length} channels into ${r.result?.guideNumber} ${r.result?.name}`);
        picked = [];
        await render();
      },
    },
    'Merge ticked',
  );
  const pickedChanged = () => (mergeButton.disabled = picked.length < 2);
  root.append(
    section(
      'Channels',
      h('div', { class: 'row' }, search, h('label', {}, onlyDisabled, ' disabled only'), mergeButton, count),
      list,
    ),
  );

  async function render() {
    const q = new URLSearchParams({ q: search.value, limit: '200' });
    if (onlyDisabled.checked) q.set('enabled', 'false');
    const r = await api('GET', `/channels?${q}`);
    dirty = false;
    picked = picked.filter((k) => r.channels.some((c) => c.key === k));
    pickedChanged();
    count.textContent = `${r.total} channels${r.total > 200 ? ' (first 200 shown)' : ''}`;
    list.replaceChildren(
      table(['', 'Number', 'Name', 'On', 'Streams (failover order)', 'Guide id', ''], r.channels.map(row)),
    );
  }

  /** Move one stream of `c` into a channel of its own (which gets the next free number). */
  async function splitOut(c, k) {
    const r = await act(() =>
      api('POST', `/channels/${encodeURIComponent(c.key)}/split`, { candidateIds: [k.id] }),
    );
    if (!r) return;
    toast(`Split ${k.sourceId} out of ${c.name}: channel ${r.result?.guideNumber}`);
    await render();
  }

  function row(c) {
    const num = h('input', { class: 'num', value: c.guideNumber, 'aria-label': 'GuideNumber' });
    const name = h('input', { value: c.name, 'aria-label': 'Name' });
    const on = h('input', { type: 'checkbox', checked: c.enabled, 'aria-label': 'Enabled' });
    const guide = h('input', { value: c.epgId ?? '', placeholder: 'XMLTV id', 'aria-label': 'Guide id' });
    let order = c.candidates.map((k) => k.id);
    const streams = h('ul', { class: 'plain streams' });
    const drawStreams = () =>
      streams.replaceChildren(
        ...order.map((id, i) => {
          const k = c.candidates.find((x) => x.id === id);
          return h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                title: 'Move up',
                disabled: i === 0,
                onclick: () => {
                  order = [...order.slice(0, i - 1), id, order[i - 1], ...order.slice(i + 1)];
                  drawStreams();
                },
              },
              '↑',
            ),
            ' ',
            h('span', { class: 'mono' }, k.sourceId),
            ' ',
            k.name,
            ' ',
            c.candidates.length > 1
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'split',
                    title: 'Move this stream into a channel of its own',
                    onclick: () => splitOut(c, k),
                  },
                  'Split',
                )
              : null,
          );
        }),
      );
    drawStreams();
    const save = async () => {
      const patch = {};
      if (num.value !== c.guideNumber) patch.guideNumber = num.value;
      if (name.value !== c.name) patch.name = name.value;
      if (on.checked !== c.enabled) patch.enabled = on.checked;
      if (order.join() !== c.candidates.map((k) => k.id).join()) patch.candidateOrder = order;
      if (guide.value !== (c.epgId ?? '')) patch.guideId = guide.value === '' ? null : guide.value;
      if (Object.keys(patch).length === 0) return toast('Nothing changed');
      const r = await act(
        () => api('PATCH', `/channels/${encodeURIComponent(c.key)}`, patch),
        `Saved ${c.name}`,
      );
      if (r) Object.assign(c, r);
    };
    const pick = h('input', {
      type: 'checkbox',
      class: 'pick',
      'aria-label': 'Tick to merge',
      checked: picked.includes(c.key),
      onchange: () => {
        picked = pick.checked ? [...picked, c.key] : picked.filter((k) => k !== c.key);
        pickedChanged();
      },
    });
    return h(
      'tr',
      { 'data-channel': c.key },
      h('td', {}, pick),
      h('td', {}, num),
      h('td', {}, name),
      h('td', {}, on),
      h('td', {}, streams),
      h('td', {}, guide),
      h('td', {}, h('button', { class: 'primary', onclick: save }, 'Save')),
    );
  }

  let timer;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => render().catch(() => {}), 250);
  });
  onlyDisabled.addEventListener('change', () => render().catch(() => {}));
  // A source finishing its refresh changes the list: redraw, unless that would discard unsaved edits.
  let dirty = false;
  list.addEventListener('input', () => (dirty = true));
  list.addEventListener('click', (ev) => ev.target.closest('button') && (dirty = true));
  await render();
  onLive((e) => e.type === 'lineup-changed' && !dirty && render().catch(() => {}));
}

// ---------- guide ----------

const COVERAGE_COLUMNS = ['guideNumber', 'name', 'source', 'matchedBy', 'guideId', 'programmes', 'hours'];

function coverageTable(cov) {
  if (Array.isArray(cov) && cov.length > 0 && typeof cov[0] === 'object') {
    const cols = COVERAGE_COLUMNS.filter((c) => cov.some((r) => r[c] !== undefined));
    return table(
      cols,
      cov.map((r) =>
        h(
          'tr',
          { class: r.programmes === 0 ? 'warn' : '' },
          cols.map((c) => h('td', {}, r[c] ?? '')),
        ),
      ),
    );
  }
  if (cov && typeof cov === 'object' && Object.keys(cov).length > 0) {
    return table(
      ['Channel', 'Coverage'],
      Object.entries(cov).map(([k, v]) =>
        h('tr', {}, h('td', {}, k), h('td', {}, typeof v === 'object' ? JSON.stringify(v) : String(v))),
      ),
    );
  }
  return h('p', { class: 'muted' }, 'No coverage data yet.');
}

async function guide(root, onLive) {
  const bar = h('progress', { max: '100', value: '0', id: 'guide-progress' });
  const info = h('p', { id: 'guide-info' });
  const coverage = h('div', { id: 'guide-coverage' });
  root.append(
    section(
      'Guide',
      info,
      bar,
      h(
        'p',
        {},
        h(
          'button',
          {
            class: 'primary',
            id: 'guide-refresh',
            onclick: () => act(() => api('POST', '/guide/refresh'), 'Guide refresh started'),
          },
          'Refresh now',
        ),
      ),
    ),
    section('Coverage per channel', coverage),
  );
  const counts = (x) =>
    [
      x.channelsMatched !== undefined && x.channelsTotal
        ? `${x.channelsMatched}/${x.channelsTotal} channels matched`
        : x.channels !== undefined
          ? `${x.channels} channels`
          : '',
      x.programmes !== undefined ? `${x.programmes} programmes` : '',
      x.bytes ? `${(x.bytes / 1e6).toFixed(1)} MB read` : '',
    ]
      .filter(Boolean)
      .join(' · ');
  const setBar = (percent) =>
    percent === null || percent === undefined ? bar.removeAttribute('value') : (bar.value = percent);

  async function render() {
    const g = await api('GET', '/guide');
    const s = g.summary;
    setBar(s.percent);
    info.textContent = `${s.refreshing ? 'Refreshing… ' : ''}Last refresh ${fmtAge(s.lastRefresh)} · ${counts(s)}`;
    coverage.replaceChildren(coverageTable(g.coverage));
  }
  await render();
  onLive((e) => {
    if (e.type === 'guide-progress') {
      setBar(e.data.progress);
      info.textContent = `Refreshing… ${counts(e.data)}`;
    }
    if (e.type === 'guide-refreshed') render().catch(() => {});
  });
}

// ---------- logs ----------

async function logs(root, _onLive, cleanup) {
  const level = h(
    'select',
    { 'aria-label': 'Minimum level' },
    ['debug', 'info', 'warn', 'error'].map((l) => h('option', { value: l, selected: l === 'info' }, l)),
  );
  const text = h('input', { type: 'search', placeholder: 'Filter text', 'aria-label': 'Filter logs' });
  const body = h('tbody', { id: 'log-rows' });
  root.append(
    section(
      'Logs',
      h('div', { class: 'row' }, level, text),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Time', 'Level', 'Channel', 'Source', 'Message'].map((x) => h('th', {}, x)),
          ),
        ),
        body,
      ),
    ),
  );
  const ORDER = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
  // The structured fields say why ("refresh failed" alone does not help): show them under the message.
  const SHOWN = new Set(['time', 'level', 'msg', 'channel', 'source', 'pid', 'hostname', 'name', 'v']);
  const details = (e) =>
    Object.entries(e)
      .filter(([k, v]) => !SHOWN.has(k) && v !== undefined && v !== null)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join(' ');
  const row = (e) =>
    h(
      'tr',
      {},
      h('td', {}, fmtTime(e.time)),
      h(
        'td',
        { class: e.level === 'error' || e.level === 'fatal' ? 'bad' : e.level === 'warn' ? 'warn' : '' },
        e.level,
      ),
      h('td', {}, e.channel ?? ''),
      h('td', {}, e.source ?? ''),
      h('td', {}, e.msg, details(e) ? h('div', { class: 'muted mono' }, details(e)) : null),
    );
  const matches = (e) =>
    ORDER.indexOf(e.level) >= ORDER.indexOf(level.value) &&
    (!text.value || JSON.stringify(e).toLowerCase().includes(text.value.toLowerCase()));
  async function render() {
    const q = new URLSearchParams({ level: level.value });
    if (text.value) q.set('q', text.value);
    const entries = await api('GET', `/logs?${q}`);
    body.replaceChildren(...entries.reverse().map(row));
  }
  level.addEventListener('change', () => render().catch(() => {}));
  text.addEventListener('input', () => render().catch(() => {}));
  await render();
  const src = new EventSource('/api/events?logs=1');
  src.addEventListener('log', (m) => {
    const e = JSON.parse(m.data);
    if (!matches(e)) return;
    body.prepend(row(e));
    while (body.children.length > 500) body.lastChild.remove();
  });
  cleanup(() => src.close());
}

// ---------- settings ----------

/** Restart the service to apply saved settings, then reload this page once it answers again. */
async function applySettings() {
  if (!confirm('Restart tunerbridge now? Streams in progress are cut for a few seconds.')) return;
  if (!(await act(() => api('POST', '/settings/apply'), 'Restarting…'))) return;
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const up = await fetch('/health').then(
      (r) => r.ok,
      () => false,
    );
    // The first answers may still come from the instance being stopped.
    if (up && i >= 2) return location.reload();
  }
  toast('tunerbridge did not come back: check its logs');
}

async function settings(root) {
  const { settings: values, schema, restartPending } = await api('GET', '/settings');
  const inputs = [];
  function field(path, value, sch) {
    const desc = sch?.description;
    let input;
    if (typeof value === 'boolean') input = h('input', { type: 'checkbox', checked: value });
    else if (typeof value === 'number') input = h('input', { type: 'number', class: 'num', value });
    else if (Array.isArray(value) && value.every((x) => typeof x === 'string'))
      input = h('textarea', { rows: 3 }, value.join('\n'));
    else if (Array.isArray(value) || (value && typeof value === 'object'))
      input = h('textarea', {}, JSON.stringify(value, null, 2));
    else if (sch?.enum)
      input = h(
        'select',
        {},
        sch.enum.map((o) => h('option', { value: o, selected: o === value }, o)),
      );
    else input = h('input', { value: value ?? '' });
    input.setAttribute('name', path.join('.'));
    inputs.push({ path, value, input });
    return h(
      'label',
      { title: desc ?? '' },
      h('span', {}, path.join('.')),
      input,
      desc ? h('div', { class: 'muted' }, desc) : null,
    );
  }
  function walk(obj, sch, path) {
    return Object.entries(obj).flatMap(([k, v]) => {
      const sub = sch?.properties?.[k];
      return v && typeof v === 'object' && !Array.isArray(v)
        ? walk(v, sub, [...path, k])
        : [field([...path, k], v, sub)];
    });
  }
  const read = () => {
    const patch = {};
    for (const { path, value, input } of inputs) {
      let v;
      if (typeof value === 'boolean') v = input.checked;
      else if (typeof value === 'number') v = Number(input.value);
      else if (Array.isArray(value) && value.every((x) => typeof x === 'string'))
        v = input.value
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean);
      else if (Array.isArray(value) || (value && typeof value === 'object')) {
        try {
          v = JSON.parse(input.value);
        } catch {
          throw new Error(`${path.join('.')}: not valid JSON`);
        }
      } else v = input.value;
      if (JSON.stringify(v) === JSON.stringify(value)) continue;
      let cur = patch;
      for (const p of path.slice(0, -1)) cur = cur[p] ??= {};
      cur[path[path.length - 1]] = v;
    }
    return patch;
  };
  const form = h(
    'form',
    {
      id: 'settings-form',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const patch = await act(async () => read());
        if (!patch) return;
        if (Object.keys(patch).length === 0) return toast('Nothing changed');
        if (await act(() => api('PATCH', '/settings', patch), 'Settings saved; restart to apply them'))
          route();
      },
    },
    walk(values, schema, []),
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, 'Save')),
  );
  const pending = restartPending
    ? h(
        'p',
        { id: 'restart-pending', class: 'notice' },
        'Saved settings take effect after a restart. ',
        h('button', { type: 'button', class: 'primary', onclick: applySettings }, 'Restart now'),
      )
    : null;
  root.append(section('Settings', pending, form));
}

// ---------- setup help ----------

async function setup(root) {
  const d = await api('GET', '/device');
  const u = (x) => h('code', { class: 'url' }, x);
  const host = d.baseUrl.replace(/^https?:\/\//, '');
  root.append(
    section(
      'This device',
      h(
        'p',
        {},
        `${d.friendlyName} · DeviceID ${d.deviceId} · ${d.tunerCount} tuners · BaseURL `,
        u(d.baseUrl),
      ),
    ),
    section(
      'Plex',
      h(
        'ol',
        {},
        h('li', {}, 'Settings → Live TV & DVR → Set up Plex DVR.'),
        h(
          'li',
          {},
          'If the device is not found, choose "Don\'t see your HDHomeRun device? Enter its network address manually" and enter ',
          u(host),
          '.',
        ),
        h(
          'li',
          {},
          'For the guide choose "Have an XMLTV guide on your server?" and enter ',
          u(d.urls.xmltv),
          '.',
        ),
      ),
    ),
    section(
      'Channels DVR',
      h(
        'ol',
        {},
        h('li', {}, 'Settings → Sources → Add Source → HDHomeRun.'),
        h('li', {}, 'It should be found automatically; otherwise enter ', u(host), ' as the device address.'),
      ),
    ),
    section(
      'Jellyfin and Emby',
      h(
        'ol',
        {},
        h(
          'li',
          {},
          'Dashboard → Live TV → Tuner Devices → Add → HDHomeRun, tuner IP address ',
          u(d.baseUrl),
          '.',
        ),
        h('li', {}, 'TV Guide Data Providers → Add → XMLTV, file or URL ', u(d.urls.xmltv), '.'),
      ),
    ),
    section(
      'TVHeadend and other players',
      h(
        'p',
        {},
        'Use an "IPTV Automatic Network" with the playlist ',
        u(d.urls.m3u),
        ' and the XMLTV guide ',
        u(d.urls.xmltv),
        '.',
      ),
    ),
    section(
      'All URLs',
      table(
        ['What', 'URL'],
        Object.entries(d.urls).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, u(v)))),
      ),
    ),
  );
}

// ---------- router ----------

const PAGES = { '': dashboard, sources, channels, guide, logs, settings, setup };
let teardown = [];

async function route() {
  for (const fn of teardown) fn();
  teardown = [];
  liveHandlers.clear();
  const name = location.hash.replace(/^#\/?/, '').split('/')[0];
  const page = PAGES[name] ?? dashboard;
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.getAttribute('href') === `#/${name}`);
  const root = h('div', { 'data-page': name || 'dashboard' });
  view.replaceChildren(root);
  try {
    await page(
      root,
      (fn) => liveHandlers.add(fn),
      (fn) => teardown.push(fn),
    );
  } catch (err) {
    root.append(h('p', { class: 'error' }, `Could not load this page: ${err.message}`));
  }
}

window.addEventListener('hashchange', route);
connectEvents();
route();
