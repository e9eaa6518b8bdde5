// 我的车辆 — the residents' H5 page of the parking plugin: my vehicles and
// their passes, my recent stays, and a form to authorise a visitor's plate
// for my room.
//
// mount(el, ctx): ctx.api(method, path, body) calls /api/v1/plugins/parking/...
// as the signed-in resident; ctx.lang is "zh" or "en".
const text = {
  zh: { title: '我的车辆', none: '暂无登记车辆', pass: '月卡至', stays: '最近停车', visitor: '访客车辆授权',
    plate: '访客车牌(如 粤B12345)', hours: '有效小时', send: '授权', done: '已授权', visitors: '我授权的访客' },
  en: { title: 'My vehicles', none: 'No registered vehicle', pass: 'Pass until', stays: 'Recent stays', visitor: 'Authorise a visitor',
    plate: "Visitor's plate (粤B12345)", hours: 'Hours', send: 'Authorise', done: 'Authorised', visitors: 'My visitors' },
};

function node(tag, props, ...kids) {
  const n = Object.assign(document.createElement(tag), props || {});
  kids.forEach((k) => n.append(k));
  return n;
}

const day = (ms) => new Date(ms).toLocaleDateString();
const time = (ms) => (ms ? new Date(ms).toLocaleString() : '—');

export default async function mount(el, ctx) {
  const t = text[ctx.lang] || text.zh;
  const list = node('ul');
  const stays = node('ul');
  const visitors = node('ul');
  const plate = node('input', { placeholder: t.plate });
  const hours = node('input', { type: 'number', value: 24, min: 1, max: 72 });
  const status = node('p');
  const form = node('form', null, plate, hours, node('button', { type: 'submit', textContent: t.send }), status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await ctx.api('POST', '/my/visitors', { plate: plate.value, hours: Number(hours.value) });
      status.textContent = t.done;
      plate.value = '';
      refresh();
    } catch (err) {
      status.textContent = err.message || String(err);
    }
  });

  async function refresh() {
    const [mine, sess, vis] = await Promise.all([ctx.api('GET', '/my/vehicles'), ctx.api('GET', '/my/sessions'), ctx.api('GET', '/my/visitors')]);
    const items = mine.items || [];
    list.replaceChildren(...(items.length ? items.map((v) => node('li', {
      textContent: v.plate + (v.passes && v.passes.length ? ` · ${t.pass} ${day(v.passes[v.passes.length - 1].valid_to_ms - 1)}` : ''),
    })) : [node('li', { textContent: t.none })]));
    stays.replaceChildren(...(sess.items || []).map((s) => node('li', { textContent: `${s.plate} ${time(s.entry_at_ms)} → ${time(s.exit_at_ms)}` })));
    visitors.replaceChildren(...(vis.items || []).map((v) => node('li', { textContent: `${v.plate} ${time(v.valid_from_ms)} → ${time(v.valid_to_ms)}${v.used_at_ms ? ' ✓' : ''}` })));
  }

  el.replaceChildren(node('h2', { textContent: t.title }), list, node('h3', { textContent: t.stays }), stays,
    node('h3', { textContent: t.visitor }), form, node('h3', { textContent: t.visitors }), visitors);
  await refresh();
}
