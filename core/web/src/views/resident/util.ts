// Helpers of the resident H5: money and dates as residents read them, the
// API's error as one line, the rooms of the signed-in resident (named), the
// unread badge, and calls to the events plugin (its routes are not in the
// core's OpenAPI document).
import { ref, shallowRef } from 'vue'
import { call, client, randomKey, type components } from '@/api/client'
import { ApiError, NetworkError } from '@/api/errors'
import { i18n } from '@/i18n'

export type MyRoom = components['schemas']['ResidentMyRoom']

/** Fen (minor units) as ¥1,234.50. */
export function money(fen: number | null | undefined): string {
  const v = (fen ?? 0) / 100
  return '¥' + v.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
}

/** A timestamp in the reader's language, to the minute. */
export function when(at: string | number | null | undefined): string {
  if (at === null || at === undefined || at === '') return ''
  const d = new Date(at)
  if (Number.isNaN(d.getTime())) return String(at)
  return d.toLocaleString(String(i18n.global.locale.value), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  })
}

/** A day (YYYY-MM-DD or a timestamp) in the reader's language. */
export function day(at: unknown): string {
  if (at === null || at === undefined || at === '') return ''
  const d = new Date(String(at))
  if (Number.isNaN(d.getTime())) return String(at)
  return d.toLocaleDateString(String(i18n.global.locale.value))
}

/** One line for a failure: the API's message (in the chosen language), else offline/unexpected. */
export function errText(e: unknown): string {
  if (e instanceof ApiError) return e.message
  if (e instanceof NetworkError) return i18n.global.t('common.offline')
  return i18n.global.t('common.unexpected')
}

/** 1栋 1单元 101 (the community in front when asked). */
export function roomName(r: Pick<MyRoom, 'community' | 'building' | 'unit' | 'room'> | undefined, withCommunity = false): string {
  if (!r) return ''
  const parts = [withCommunity ? r.community : '', r.building, r.unit, r.room].filter(Boolean)
  return parts.join(' ')
}

// The resident's rooms, read once per page load (they rarely change).
const rooms = shallowRef<MyRoom[] | null>(null)
let loading: Promise<MyRoom[]> | null = null
export function myRooms(fresh = false): Promise<MyRoom[]> {
  if (rooms.value && !fresh) return Promise.resolve(rooms.value)
  if (!loading || fresh) {
    loading = call(client.GET('/api/v1/me/rooms'))
      .then((r) => (rooms.value = r ?? []))
      .finally(() => (loading = null))
  }
  return loading
}
// Pages of enabled plugins this resident may open (GET /api/v1/me/plugin-pages),
// read once per page load.
export type MyPluginPage = components['schemas']['PluginMyPage']
let pluginPages: Promise<MyPluginPage[]> | null = null
export function myPluginPages(): Promise<MyPluginPage[]> {
  pluginPages ??= call(client.GET('/api/v1/me/plugin-pages'))
    .then((r) => r.items ?? [])
    .catch((e) => {
      pluginPages = null
      throw e
    })
  return pluginPages
}

export function roomLabel(id: string | null | undefined): string {
  return roomName(rooms.value?.find((r) => r.room_id === id))
}

// The inbox's unread count: the home page's badge.
export const unread = ref(0)
export async function refreshUnread() {
  try {
    unread.value = (await call(client.GET('/api/v1/me/notifications/unread-count'))).unread
  } catch {
    // the badge stays as it was; the pages say when the server is away
  }
}

// The events plugin: /api/v1/plugins/events/... through the typed client's
// middleware (token, language, re-sign-in, offline), its paths untyped.
type Loose = (path: string, init?: Record<string, unknown>) => Promise<{ data?: unknown; error?: unknown; response: Response }>
const EVENTS = '/api/v1/plugins/events'
export function eventsGet<T>(path: string): Promise<T> {
  return call((client.GET as unknown as Loose)(EVENTS + path)) as Promise<T>
}
export function eventsPost<T>(path: string, body: unknown, key?: string): Promise<T> {
  return call((client.POST as unknown as Loose)(EVENTS + path, { body, headers: { 'Idempotency-Key': key ?? randomKey() } })) as Promise<T>
}
/** An image of the plugin (it needs the bearer token): an object URL. */
export async function eventsImage(path: string): Promise<string> {
  const blob = (await call((client.GET as unknown as Loose)(EVENTS + path, { parseAs: 'blob' }))) as Blob
  return URL.createObjectURL(blob)
}

/** A file of one's own work order as an object URL (for thumbnails). */
export async function orderFile(order: string, doc: string): Promise<string> {
  const blob = (await call(client.GET('/api/v1/me/work-orders/{id}/files/{doc}', { params: { path: { id: order, doc } }, parseAs: 'blob' }))) as unknown as Blob
  return URL.createObjectURL(blob)
}

/**
 * A time the server wrote in the tenant's zone (2026-12-05T14:00:00+08:00)
 * as that wall-clock time, whatever the phone's zone: an event at 14:00 in
 * the community is at 14:00 for everyone.
 */
export function wall(at: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(at ?? '')
  if (!m) return when(at)
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]))
  return d.toLocaleString(String(i18n.global.locale.value), {
    timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short',
  })
}
