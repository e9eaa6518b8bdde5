// 社区活动 — the resident H5 page of the events plugin: activities open to
// me, signing up, and my check-in code. Same contract as activities.js.
const text = {
  zh: { title: '社区活动', signup: '报名', signed: '已报名', waitlisted: '候补中', full: '已满', code: '签到码', fee: '费用', free: '免费' },
  en: { title: 'Community events', signup: 'Sign up', signed: 'Signed up', waitlisted: 'Waitlisted', full: 'Full', code: 'Check-in code', fee: 'Fee', free: 'Free' },
};

function fen(n) {
  return `¥${(n / 100).toFixed(2)}`;
}

export default async function mount(el, ctx) {
  const t = text[ctx.lang] || text.zh;
  const render = async () => {
    el.textContent = '';
    const h = document.createElement('h2');
    h.textContent = t.title;
    el.appendChild(h);
    const acts = await ctx.api('GET', '/my/activities');
    for (const a of acts.items || []) {
      const card = document.createElement('section');
      const title = document.createElement('h3');
      title.textContent = a.title;
      const info = document.createElement('p');
      info.textContent = [(a.start || '').replace('T', ' ').slice(0, 16), a.venue_name || a.location, `${t.fee}: ${a.fee_fen ? fen(a.fee_fen) : t.free}`].filter(Boolean).join(' · ');
      card.append(title, info);
      const mine = (a.my_signups || []).find((s) => s.status !== 'cancelled');
      if (mine) {
        const state = document.createElement('p');
        state.textContent = mine.status === 'waitlisted' ? t.waitlisted : t.signed;
        card.appendChild(state);
        if (mine.status === 'confirmed') {
          const img = document.createElement('img');
          img.alt = t.code;
          img.src = await ctx.fileURL(`/my/signups/${encodeURIComponent(mine.id)}/qr?format=png`);
          card.appendChild(img);
        }
      } else if (a.state === 'signup_open') {
        const b = document.createElement('button');
        b.textContent = a.seats_left > 0 ? t.signup : `${t.signup} (${t.full})`;
        b.onclick = async () => {
          b.disabled = true;
          await ctx.api('POST', `/my/activities/${encodeURIComponent(a.id)}/signups`, {});
          await render();
        };
        card.appendChild(b);
      }
      el.appendChild(card);
    }
  };
  await render();
}
