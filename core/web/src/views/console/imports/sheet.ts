// Helpers of the import wizard: the kinds, CSV writing and the download of a
// file the API answers (a template).
import { call, client } from '@/api/client'

export type Kind = 'rooms' | 'residents' | 'assets' | 'meter-readings'

export interface KindInfo {
  kind: Kind
  permission: string // to import
  list: string // where the imported records show
}

export const kinds: KindInfo[] = [
  { kind: 'rooms', permission: 'property.manage', list: '/console/buildings' },
  { kind: 'residents', permission: 'resident.manage', list: '/console/residents' },
  { kind: 'assets', permission: 'asset.manage', list: '/console/equipment' },
  { kind: 'meter-readings', permission: 'billing.manage', list: '' },
]

/** One cell of a CSV record, quoted when it needs to be. */
function cell(v: string): string {
  return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v
}

/** A CSV file (UTF-8) of the header keys and the rows' values by key. */
export function toCSV(keys: string[], rows: Record<string, string>[]): Blob {
  const lines = [keys.map(cell).join(',')]
  for (const r of rows) lines.push(keys.map((k) => cell(r[k] ?? '')).join(','))
  return new Blob([lines.join('\r\n') + '\r\n'], { type: 'text/csv' })
}

/** Downloads the .xlsx template of a kind with the signed-in session. */
export async function downloadTemplate(kind: Kind): Promise<{ name: string; type: string; size: number }> {
  // The four template routes share one shape; the path is typed by one of them.
  const path = `/api/v1/imports/${kind}/template` as '/api/v1/imports/rooms/template'
  const blob = await call(client.GET(path, { parseAs: 'blob' })) as unknown as Blob
  const name = `${kind}-template.xlsx`
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return { name, type: blob.type, size: blob.size }
}
