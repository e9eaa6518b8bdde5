// Reference data the billing pages share, read once per page visit and
// cached: communities, a community's buildings, a community's fee items,
// and a room's place ("1栋 1单元 101") by id.
import { reactive, shallowRef } from 'vue'
import { call, client, type components } from '@/api/client'

export type Community = components['schemas']['PropertyCommunity']
export type Building = components['schemas']['PropertyBuilding']
export type FeeItem = components['schemas']['FeeItemView']

export const communities = shallowRef<Community[]>([])
let communitiesLoaded: Promise<Community[]> | null = null

/** Every community (a tenant has a handful). */
export function loadCommunities(): Promise<Community[]> {
  communitiesLoaded ??= call(client.GET('/api/v1/communities', { params: { query: { page_size: 200 } } }))
    .then((p) => (communities.value = p.items ?? []))
    .catch((e) => {
      communitiesLoaded = null
      throw e
    })
  return communitiesLoaded
}

export function communityName(id: string | undefined): string {
  return communities.value.find((c) => c.id === id)?.name ?? ''
}

const buildingsOf = new Map<string, Promise<Building[]>>()

/** A community's buildings, by name. */
export function loadBuildings(communityId: string): Promise<Building[]> {
  let p = buildingsOf.get(communityId)
  if (!p) {
    p = call(client.GET('/api/v1/buildings', { params: { query: { community_id: communityId, page_size: 200, sort: 'name' } } })).then(
      (r) => r.items ?? [],
    )
    p.catch(() => buildingsOf.delete(communityId))
    buildingsOf.set(communityId, p)
  }
  return p
}

/** Fee items of a community (or all), for filters. */
export async function loadFeeItems(communityId?: string): Promise<FeeItem[]> {
  const r = await call(client.GET('/api/v1/fee-items', { params: { query: { community_id: communityId, page_size: 200 } } }))
  return r.items ?? []
}

/** Room labels by id; filled by roomLabels(ids). */
export const roomNames = reactive<Record<string, string>>({})
const asked = new Set<string>()

/** Reads the place of each room not known yet (one call each, in parallel). */
export async function roomLabels(ids: (string | undefined)[]) {
  const todo = [...new Set(ids)].filter((id): id is string => !!id && !asked.has(id))
  todo.forEach((id) => asked.add(id))
  await Promise.all(
    todo.map(async (id) => {
      try {
        const f = await call(client.GET('/api/v1/rooms/{id}/file', { params: { path: { id } } }))
        roomNames[id] = [f.building?.name, f.unit?.name, f.room?.number].filter(Boolean).join(' ')
      } catch {
        asked.delete(id)
      }
    }),
  )
}

/** This month as YYYY-MM in the browser's time zone. */
export function thisMonth(offset = 0): string {
  const d = new Date()
  d.setDate(1)
  d.setMonth(d.getMonth() + offset)
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0')
}
