// What the equipment pages share: the API's categories and statuses, places
// (communities and common areas) and a download with the session.
import { shallowRef } from 'vue'
import { call, client, type components } from '@/api/client'

export type Asset = components['schemas']['AssetView']
export type Plan = components['schemas']['AssetPlanView']
export type Community = components['schemas']['PropertyCommunity']
export type Location = components['schemas']['PropertyCommonArea']

export const categories = ['elevator', 'fire', 'water_pump', 'power', 'hvac', 'access', 'camera', 'lighting', 'gate', 'other']
export const statuses = ['in_service', 'under_repair', 'out_of_service', 'retired']
export const statusType: Record<string, 'success' | 'warning' | 'info' | 'danger'> = {
  in_service: 'success',
  under_repair: 'warning',
  out_of_service: 'info',
  retired: 'danger',
}
export const planStateType: Record<string, 'success' | 'warning' | 'info' | 'danger'> = {
  scheduled: 'success',
  due_soon: 'warning',
  overdue: 'danger',
  inactive: 'info',
}

/** The tenant's communities and common areas (one page of 200 each is plenty for a picker). */
export function usePlaces() {
  const communities = shallowRef<Community[]>([])
  const locations = shallowRef<Location[]>([])
  async function load() {
    const [c, l] = await Promise.all([
      call(client.GET('/api/v1/communities', { params: { query: { page_size: 200 } } })).catch(() => null),
      call(client.GET('/api/v1/locations', { params: { query: { page_size: 200 } } })).catch(() => null),
    ])
    communities.value = c?.items ?? []
    locations.value = l?.items ?? []
  }
  const communityName = (id?: string | null) => communities.value.find((c) => c.id === id)?.name ?? ''
  const locationName = (id?: string | null) => locations.value.find((l) => l.id === id)?.name ?? ''
  return { communities, locations, load, communityName, locationName }
}

/** A date the API gives as "YYYY-MM-DD" or null. */
export function day(v: unknown): string {
  return typeof v === 'string' ? v.slice(0, 10) : ''
}

/** Saves a file the API answers (it needs the bearer token, so no plain link). */
export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
