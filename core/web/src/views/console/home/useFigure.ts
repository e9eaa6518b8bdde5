// One figure of the dashboard: loads once (and on reload) when the user holds
// the permission, with its own loading and error state, so one failing API
// leaves the other cards working.
import { reactive } from 'vue'

export interface Figure<T> {
  allowed: boolean
  loading: boolean
  failed: boolean
  data: T | null
  load(): Promise<void>
}

export function useFigure<T>(allowed: () => boolean, fetch: () => Promise<T>): Figure<T> {
  const f = reactive({
    // Permissions are loaded before any console page renders.
    allowed: allowed(),
    loading: false,
    failed: false,
    data: null as T | null,
    async load() {
      if (!f.allowed) return
      f.loading = true
      f.failed = false
      try {
        f.data = (await fetch()) as never
      } catch {
        f.failed = true
      } finally {
        f.loading = false
      }
    },
  })
  return f as Figure<T>
}

/** Money in minor units (fen) as ¥1,234.56 in the chosen language. */
export function money(fen: number, lang: string, currency = 'CNY'): string {
  return new Intl.NumberFormat(lang, { style: 'currency', currency, currencyDisplay: 'narrowSymbol', minimumFractionDigits: 2 }).format(fen / 100)
}

/** A rate in basis points (9234) as a percentage (92.3%). */
export function percent(bp: number, lang: string): string {
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(bp / 10000)
}

/** Today and the first of this month as YYYY-MM-DD (the browser's day). */
export function today(): string {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

export function monthStart(): string {
  return today().slice(0, 8) + '01'
}
