// Money is int64 fen in the API. Amounts typed as yuan are parsed as text
// (never through floating point), and fen are shown as ¥ with 2 decimals.

/** 12345 → "123.45"; -5 → "-0.05". */
export function fenToYuan(fen: number): string {
  const neg = fen < 0
  const s = String(Math.abs(Math.trunc(fen))).padStart(3, '0')
  return (neg ? '-' : '') + s.slice(0, -2) + '.' + s.slice(-2)
}

/** 1234567 → "¥12,345.67"; empty for null. */
export function formatFen(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return ''
  const [int, dec] = fenToYuan(fen).split('.')
  const neg = int.startsWith('-')
  const digits = neg ? int.slice(1) : int
  return (neg ? '-¥' : '¥') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + dec
}

/**
 * "1,234.5" → 123450, "¥0.07" → 7; null when it is not an amount of yuan
 * with at most 2 decimals (or too large to be exact).
 */
export function yuanToFen(text: string): number | null {
  const s = text.trim().replace(/^¥/, '').replace(/,/g, '').trim()
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s)
  if (!m) return null
  const fen = BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0') || '0')
  if (fen > BigInt(Number.MAX_SAFE_INTEGER)) return null
  return Number(fen)
}
