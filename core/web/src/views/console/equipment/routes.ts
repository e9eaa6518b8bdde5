import type { Area } from '../menu'

export default {
  routes: [
    { path: 'equipment', component: () => import('./Assets.vue'), meta: { kind: 'user', permission: 'asset.read' } },
    { path: 'equipment/calendar', component: () => import('./Calendar.vue'), meta: { kind: 'user', permission: 'asset.read' } },
    { path: 'equipment/:id', component: () => import('./AssetDetail.vue'), meta: { kind: 'user', permission: 'asset.read' } },
  ],
  menu: [
    { path: '/console/equipment', label: 'equipment.menuAssets', permission: 'asset.read', group: 'equipment.group', order: 40 },
    { path: '/console/equipment/calendar', label: 'equipment.menuCalendar', permission: 'asset.read', group: 'equipment.group', order: 41 },
  ],
} satisfies Area
