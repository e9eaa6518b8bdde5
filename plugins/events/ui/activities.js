// 社区活动 — the staff console page of the events plugin.
//
// A page bundle is an ES module whose default export mounts the page into an
// element: mount(el, ctx), where ctx.api(method, path, body) calls this
// plugin's routes (/api/v1/plugins/events/...) with the signed-in user's
// credential and resolves to the JSON answer, and ctx.lang is "zh" or "en".
// It uses the DOM only, so it runs inside any console.
const text = {
  zh: { title: '社区活动', name: '活动', when: '时间', state: '状态', seats: '报名 / 名额', attendance: '签到率',
    states: { draft: '草稿', published: '已发布', signup_open: '报名中', closed: '报名截止', done: '已结束', cancelled: '已取消' } },
  en: { title: 'Community events', name: 'Activity', when: 'When', state: 'State', seats: 'Signed up / seats', attendance: 'Attendance',
    states: { draft: 'Draft', published: 'Published', signup_open: 'Sign-up open', closed: 'Sign-up closed', done: 'Done', cancelled: 'Cancelled' } },
};

function cell(tr, value) {
  const td = document.createElement('td');
  td.textContent = value;
  tr.appendChild(td);
}

export default async function mount(el, ctx) {
  const t = text[ctx.lang] || text.zh;
  el.textContent = '';
  const h = document.createElement('h2');
  h.textContent = t.title;
  el.appendChild(h);
  const [acts, stats] = await Promise.all([
    ctx.api('GET', '/activities'),
    ctx.api('GET', '/stats/attendance'),
  ]);
  const rate = new Map((stats.activities || []).map((s) => [s.activity_id, s.attendance_rate]));
  const table = document.createElement('table');
  const head = document.createElement('tr');
  [t.name, t.when, t.state, t.seats, t.attendance].forEach((c) => {
    const th = document.createElement('th');
    th.textContent = c;
    head.appendChild(th);
  });
  table.appendChild(head);
  for (const a of acts.items || []) {
    const tr = document.createElement('tr');
    cell(tr, a.title);
    cell(tr, a.start ? a.start.replace('T', ' ').slice(0, 16) : '');
    cell(tr, t.states[a.state] || a.state);
    cell(tr, `${a.confirmed} / ${a.capacity}`);
    cell(tr, a.state === 'done' && rate.has(a.id) ? `${Math.round(rate.get(a.id) * 100)}%` : '—');
    table.appendChild(tr);
  }
  el.appendChild(table);
}
