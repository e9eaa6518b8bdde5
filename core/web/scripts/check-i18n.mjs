// Fails when a key is in one language and not the other, when two area files
// (src/locales/<lang>/<area>.json) share a top key, when a literal t('key') in
// the source names no key, or when a .vue template holds CJK text (every
// string belongs in the locale files).
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const flat = (o, p = '') =>
  Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? flat(v, p + k + '.') : [p + k]))
const problems = []
function load(lang) {
  const keys = new Set()
  const owner = {}
  for (const f of readdirSync(`src/locales/${lang}`).filter((f) => f.endsWith('.json')).sort()) {
    const o = JSON.parse(readFileSync(`src/locales/${lang}/${f}`, 'utf8'))
    for (const top of Object.keys(o)) {
      if (owner[top]) problems.push(`${lang}: top key "${top}" is in both ${owner[top]} and ${f}`)
      owner[top] = f
    }
    for (const k of flat(o)) keys.add(k)
  }
  return keys
}
const zh = load('zh-CN')
const en = load('en')
for (const k of zh) if (!en.has(k)) problems.push(`en lacks ${k}`)
for (const k of en) if (!zh.has(k)) problems.push(`zh-CN lacks ${k}`)

const files = (d) => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]))
const cjk = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/
for (const f of files('src')) {
  if (!/\.(vue|ts)$/.test(f) || f.endsWith('.d.ts')) continue
  const src = readFileSync(f, 'utf8')
  if (f.endsWith('.vue')) {
    const tpl = src.match(/<template>([\s\S]*)<\/template>/)
    tpl?.[1].split('\n').forEach((line, i) => {
      if (cjk.test(line)) problems.push(`${f}: CJK text in the template (line ${i + 1} of it): ${line.trim()}`)
    })
  }
  for (const m of src.matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) {
    const key = m[1]
    if (!key.endsWith('.') && !zh.has(key)) problems.push(`${f}: t('${key}') is in no locale file`)
  }
}
if (problems.length) {
  console.error('i18n check failed:\n  ' + problems.join('\n  '))
  process.exit(1)
}
console.log(`i18n: ${zh.size} keys in zh-CN and en, templates free of CJK text`)
