// The service desk's vocabulary: API codes (types, categories, priorities,
// statuses, timeline events) shown in the chosen language, and the few API
// helpers the desk pages share (file upload and download).
import { i18n } from '@/i18n'
import { call, client } from '@/api/client'

export const TYPES = ['repair', 'complaint', 'suggestion', 'inspection', 'maintenance']
export const CATEGORIES = ['plumbing', 'electrical', 'lift', 'cleaning', 'security', 'noise', 'gas', 'doors_windows', 'greenery', 'parking', 'equipment', 'public_facilities', 'service', 'other']
export const PRIORITIES = ['low', 'normal', 'high', 'urgent']
export const STATUSES = ['submitted', 'assigned', 'accepted', 'in_progress', 'resolved', 'confirmed', 'closed', 'cancelled']
export const OPEN = ['submitted', 'assigned', 'accepted', 'in_progress']

/** The label of an API code: desk.<group>.<code>, or the code itself (a tenant's own category). */
export function label(group: 'type' | 'category' | 'priority' | 'channel' | 'event' | 'mode', code?: string | null): string {
  if (!code) return ''
  const k = `desk.${group}.${code}`
  return i18n.global.te(k) ? i18n.global.t(k) : code
}

export function statusLabel(code?: string | null): string {
  if (!code) return ''
  const k = `tech.status.${code}`
  return i18n.global.te(k) ? i18n.global.t(k) : code
}

/** Element Plus tag type per status. */
export function statusTag(s: string): 'primary' | 'success' | 'warning' | 'info' | 'danger' {
  if (s === 'submitted') return 'danger'
  if (s === 'assigned' || s === 'accepted') return 'warning'
  if (s === 'in_progress') return 'primary'
  if (s === 'resolved' || s === 'confirmed') return 'success'
  return 'info'
}

export function priorityTag(p: string): 'primary' | 'success' | 'warning' | 'info' | 'danger' {
  return p === 'urgent' ? 'danger' : p === 'high' ? 'warning' : p === 'low' ? 'info' : 'primary'
}

/** A time in the reader's zone, minutes precision. */
export function when(iso?: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (isNaN(d.getTime())) return ''
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** Uploads a photo or file (multipart field "file") to an order, or to a patrol round. */
export async function uploadFile(kind: 'order' | 'round', id: string, file: File) {
  const fd = new FormData()
  fd.append('file', file, file.name)
  const params = { path: { id } }
  return kind === 'order'
    ? call(client.POST('/api/v1/work-orders/{id}/files', { params, body: fd as never }))
    : call(client.POST('/api/v1/patrol-rounds/{id}/photos', { params, body: fd as never }))
}

/** A file of an order as an object URL (downloads carry the bearer token, so no plain <img src>). */
export async function fileURL(orderId: string, doc: string): Promise<string> {
  const r = await client.GET('/api/v1/work-orders/{id}/files/{doc}', { params: { path: { id: orderId, doc } }, parseAs: 'blob' })
  if (!r.response.ok || !(r.data instanceof Blob)) throw new Error('download ' + r.response.status)
  return URL.createObjectURL(r.data)
}
