// Calls a plugin's own route (/api/v1/plugins/{name}/{path}) through the
// typed client (auth, language, session recovery). The committed OpenAPI
// document has only the generic route, so the answer's shape is declared here.
import { call, client } from '@/api/client'

export async function pluginGet<T>(name: string, path: string): Promise<T> {
  // The path is sent encoded (reports%2Foccupancy); the server decodes it.
  const data = await call(client.GET('/api/v1/plugins/{name}/{path}', { params: { path: { name, path } } }))
  return data as unknown as T
}

export interface ParkingOccupancy {
  date: string
  hours: number[]
}

export interface ParkingFree {
  zones: { zone_id?: string; name?: string; capacity?: number; free?: number }[] | null
}

export interface ParkingRevenue {
  temporary_fen: number
  tickets: number
  passes_fen: number
  passes: number
  total_fen: number
  currency: string
}

export interface ParkingVisitor {
  plate: string
  valid_from_ms: number
  valid_to_ms: number
  used_at_ms?: number
}

export interface PluginPage<T> {
  items: T[] | null
  next_cursor?: string
}
