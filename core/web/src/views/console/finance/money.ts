import { i18n } from '@/i18n'

// Money in the finance pages: the API counts fen (int64 minor units).
export function yuan(fen: number | null | undefined, currency = 'CNY'): string {
  const v = (fen ?? 0) / 100
  const s = v.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  return currency === 'CNY' ? '¥' + s : s + ' ' + currency
}

/** "12.5" → 1250 fen; NaN when the text is not an amount with at most 2 decimals. */
export function toFen(text: string): number {
  const t = text.trim()
  if (!/^\d+(\.\d{1,2})?$/.test(t)) return NaN
  const [i, d = ''] = t.split('.')
  return Number(i) * 100 + Number((d + '00').slice(0, 2))
}

/** "12.34" from 1234 fen, for an amount field. */
export function fenText(fen: number): string {
  return (fen / 100).toFixed(2)
}

/** The tenant's day as 2026-01-31 (the browser's local day). */
export function day(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/** A moment as 2026-01-31 09:05 in the browser's zone. */
export function when(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${day(d)} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** Who did it: "user:<id> 张敏" → 张敏; the system's own steps by their name. */
export function who(by: string | null | undefined): string {
  if (!by) return ''
  const i = by.indexOf(' ')
  if (by.startsWith('user:')) return i > 0 ? by.slice(i + 1) : ''
  if (by === 'system' || by.startsWith('system:')) return i18n.global.t('finance.system')
  return by
}
