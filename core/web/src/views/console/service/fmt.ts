// Small helpers shared by the service pages: dates in the chosen language,
// the tenant's communities and buildings for pickers, a blob download.
import { shallowRef } from 'vue'
import { call, client, type components } from '@/api/client'
import { lang } from '@/i18n'

type Community = components['schemas']['PropertyCommunity']
type Building = components['schemas']['PropertyBuilding']

export function fmtTime(s?: string | null): string {
  if (!s) return ''
  const d = new Date(s)
  return isNaN(d.getTime()) ? s : d.toLocaleString(lang(), { dateStyle: 'short', timeStyle: 'short' })
}

export function fmtDay(s?: string | null): string {
  return s ? String(s).slice(0, 10) : ''
}

export function pct(n?: number | null): string {
  return n == null ? '' : (Math.round(n * 10) / 10).toString() + '%'
}

/** Communities and buildings for the pickers (a tenant has few of them). */
export function usePlaces() {
  const communities = shallowRef<Community[]>([])
  const buildings = shallowRef<Building[]>([])
  async function load(withBuildings = true) {
    const [c, b] = await Promise.all([
      call(client.GET('/api/v1/communities', { params: { query: { page_size: 200 } } })).catch(() => null),
      withBuildings ? call(client.GET('/api/v1/buildings', { params: { query: { page_size: 200 } } })).catch(() => null) : null,
    ])
    communities.value = c?.items ?? []
    buildings.value = b?.items ?? []
  }
  const communityName = (id?: string | null) => communities.value.find((c) => c.id === id)?.name ?? ''
  const buildingName = (id?: string | null) => buildings.value.find((b) => b.id === id)?.name ?? ''
  return { communities, buildings, load, communityName, buildingName }
}

/** Saves a blob as a file. */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}
