// Rooms' names for lists that carry only room ids (payments, refunds, the
// collection log): "1栋 2单元 101", read once per room, building and unit.
import { reactive } from 'vue'
import { call, client } from '@/api/client'

const labels = reactive(new Map<string, string>())
const pending = new Map<string, Promise<void>>()
let buildings: Promise<Map<string, string>> | null = null
const units = new Map<string, Promise<Map<string, string>>>()

function buildingNames() {
  buildings ??= call(client.GET('/api/v1/buildings', { params: { query: { page_size: 200 } } }))
    .then((p) => new Map((p.items ?? []).map((b) => [b.id, b.name])))
    .catch(() => ((buildings = null), new Map()))
  return buildings
}

function unitNames(buildingID: string) {
  let u = units.get(buildingID)
  if (!u) {
    u = call(client.GET('/api/v1/units', { params: { query: { building_id: buildingID, page_size: 200 } } }))
      .then((p) => new Map((p.items ?? []).map((x) => [x.id, x.name])))
      .catch(() => (units.delete(buildingID), new Map()))
    units.set(buildingID, u)
  }
  return u
}

async function load(id: string) {
  const room = await call(client.GET('/api/v1/rooms/{id}', { params: { path: { id } } }))
  const [b, u] = await Promise.all([buildingNames(), unitNames(room.building_id)])
  labels.set(id, [b.get(room.building_id), u.get(room.unit_id), room.number].filter(Boolean).join(' '))
}

export function useRoomLabels() {
  /** Starts reading the names of these rooms (failures leave the id short). */
  function want(ids: (string | undefined | null)[]) {
    for (const id of ids) {
      if (!id || labels.has(id) || pending.has(id)) continue
      pending.set(id, load(id).catch(() => void labels.set(id, id.slice(0, 8))).finally(() => pending.delete(id)))
    }
  }
  function label(id: string | undefined | null): string {
    return (id && labels.get(id)) || ''
  }
  return { want, label }
}
