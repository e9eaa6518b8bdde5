// Prints the gzipped JavaScript the sign-in route loads (the entry chunk, its
// static imports, and the sign-in page's chunk with its imports), from Vite's
// manifest, and fails above the budget of 300 KB (docs/console.md).
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'

const BUDGET = 300 * 1024
const manifest = JSON.parse(readFileSync('dist/.vite/manifest.json', 'utf8'))
const seen = new Set()
function walk(key) {
  if (seen.has(key)) return
  seen.add(key)
  for (const i of manifest[key].imports ?? []) walk(i)
}
walk('index.html')
walk('src/views/auth/SignIn.vue')
let js = 0
let css = 0
const cssFiles = new Set()
for (const k of seen) {
  const e = manifest[k]
  js += gzipSync(readFileSync('dist/' + e.file), { level: 9 }).length
  for (const c of e.css ?? []) cssFiles.add(c)
}
for (const c of cssFiles) css += gzipSync(readFileSync('dist/' + c), { level: 9 }).length
const kb = (n) => (n / 1024).toFixed(1) + ' KB'
console.log(`sign-in route: ${kb(js)} JavaScript gzipped in ${seen.size} chunks (budget ${kb(BUDGET)}), ${kb(css)} CSS gzipped`)
if (js > BUDGET) {
  console.error('sign-in route JavaScript is over budget')
  process.exit(1)
}
