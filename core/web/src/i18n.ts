// zh-CN first, English switchable; the choice is kept in localStorage.
// Every string lives in src/locales/<lang>/<area>.json, one file per area
// with the area's name as its top key (scripts/check-i18n.mjs checks).
import { createI18n } from 'vue-i18n'

// Typed as the common file's shape (vue-i18n needs one schema for all languages).
type Messages = typeof import('./locales/zh-CN/common.json')
const merge = (files: Record<string, object>): Messages => Object.assign({}, ...Object.values(files))
const zhCN = merge(import.meta.glob<object>('./locales/zh-CN/*.json', { eager: true, import: 'default' }))
const en = merge(import.meta.glob<object>('./locales/en/*.json', { eager: true, import: 'default' }))

export type Lang = 'zh-CN' | 'en'
const KEY = 'wuye.lang'

function initial(): Lang {
  return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})
document.documentElement.lang = initial()

export function lang(): Lang {
  return i18n.global.locale.value as Lang
}

export function setLang(l: Lang) {
  i18n.global.locale.value = l
  localStorage.setItem(KEY, l)
  document.documentElement.lang = l
}
