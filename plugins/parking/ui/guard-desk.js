// 车辆管理 — the guard desk (console page of the parking plugin): free
// spaces per zone, the latest passages (refreshed every 5 s), and a form
// to open a gate by hand with a reason (audited by the plugin).
//
// mount(el, ctx): ctx.api(method, path, body) calls /api/v1/plugins/parking/...
// with the signed-in user's credential; ctx.lang is "zh" or "en".
const text = {
  zh: { title: '车辆管理 · 岗亭', free: '空余车位', zone: '区域', cap: '车位', left: '空位', passages: '通行记录',
    time: '时间', plate: '车牌', gate: '道闸', decision: '结果', reason: '原因', open: '手动开闸', why: '开闸原因', send: '开闸',
    decisions: { open: '放行', refuse: '拒绝', duplicate: '重复识别', gate_not_opened: '道闸未响应' }, done: '已开闸', pay: '缴费' },
  en: { title: 'Parking · guard desk', free: 'Free spaces', zone: 'Zone', cap: 'Spaces', left: 'Free', passages: 'Passages',
    time: 'Time', plate: 'Plate', gate: 'Gate', decision: 'Decision', reason: 'Reason', open: 'Open a gate by hand', why: 'Reason', send: 'Open',
    decisions: { open: 'Open', refuse: 'Refused', duplicate: 'Read again', gate_not_opened: 'Gate did not open' }, done: 'Opened', pay: 'Pay' },
};

function node(tag, props, ...kids) {
  const n = Object.assign(document.createElement(tag), props || {});
  kids.forEach((k) => n.append(k));
  return n;
}

function table(heads, rows) {
  const t = node('table');
  t.append(node('tr', null, ...heads.map((h) => node('th', { textContent: h }))));
  rows.forEach((r) => t.append(node('tr', null, ...r.map((c) => (c instanceof Node ? node('td', null, c) : node('td', { textContent: c }))))));
  return t;
}

export default async function mount(el, ctx) {
  const t = text[ctx.lang] || text.zh;
  el.textContent = '';
  const freeBox = node('div');
  const passBox = node('div');
  const gates = (await ctx.api('GET', '/gates')).items || [];
  const gateName = new Map(gates.map((g) => [g.id, g.name]));

  const select = node('select', null, ...gates.map((g) => node('option', { value: g.id, textContent: g.name })));
  const plate = node('input', { placeholder: t.plate });
  const reason = node('input', { placeholder: t.why, required: true });
  const status = node('span');
  const form = node('form', null, select, plate, reason, node('button', { type: 'submit', textContent: t.send }), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await ctx.api('POST', `/gates/${select.value}/open`, { plate: plate.value, reason: reason.value });
      status.textContent = t.done;
      reason.value = '';
      refresh();
    } catch (err) {
      status.textContent = err.message || String(err);
    }
  });

  async function refresh() {
    const [free, passages] = await Promise.all([ctx.api('GET', '/free'), ctx.api('GET', '/passages')]);
    freeBox.replaceChildren(node('h3', { textContent: t.free }),
      table([t.zone, t.cap, t.left], (free.zones || []).map((z) => [z.name, String(z.capacity), String(z.free)])));
    passBox.replaceChildren(node('h3', { textContent: t.passages }),
      table([t.time, t.plate, t.gate, t.decision, t.reason], (passages.items || []).map((p) => [
        new Date(p.at_ms).toLocaleString(), p.plate || '—', gateName.get(p.gate_id) || p.gate_id,
        t.decisions[p.decision] || p.decision,
        p.pay_url ? node('a', { href: p.pay_url, target: '_blank', textContent: `${p.reason} · ${t.pay} ¥${(p.fee_fen / 100).toFixed(2)}` }) : p.reason,
      ])));
  }

  el.append(node('h2', { textContent: t.title }), freeBox, node('h3', { textContent: t.open }), form, passBox);
  await refresh();
  const timer = setInterval(() => { if (el.isConnected) refresh(); else clearInterval(timer); }, 5000);
}
