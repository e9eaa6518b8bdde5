// The staff console's menu, assembled from the areas: each area's routes.ts
// (views/console/<area>/routes.ts) exports its routes and menu entries. An
// entry shows only to holders of its permission (GET /api/v1/auth/permissions).
import type { RouteRecordRaw } from 'vue-router'

export interface MenuItem {
  path: string
  label: string // i18n key
  permission?: string
  group?: string // i18n key of the sub-menu; entries of one group show together
  order: number // position in the menu (groups take their first entry's)
}

export interface Area {
  routes: RouteRecordRaw[] // children of /console; paths relative, e.g. 'billing/bills'
  menu: MenuItem[]
}

const areas = Object.values(import.meta.glob<Area>('./*/routes.ts', { eager: true, import: 'default' }))

export const consoleRoutes: RouteRecordRaw[] = areas.flatMap((a) => a.routes)
export const menu: MenuItem[] = areas.flatMap((a) => a.menu).sort((a, b) => a.order - b.order)
