import type { Area } from '../menu'

export default {
  routes: [
    { path: 'residents', component: () => import('./Residents.vue'), meta: { kind: 'user', permission: 'resident.read' } },
    { path: 'buildings', component: () => import('./Buildings.vue'), meta: { kind: 'user', permission: 'property.read' } },
    { path: 'compound', component: () => import('./Compound.vue'), meta: { kind: 'user', permission: 'property.read' } },
    { path: 'rooms/:id', component: () => import('./RoomFile.vue'), meta: { kind: 'user', permission: 'property.read', menu: '/console/compound' } },
  ],
  menu: [
    { path: '/console/residents', label: 'menu.residents', permission: 'resident.read', order: 10 },
    { path: '/console/buildings', label: 'menu.buildings', permission: 'property.read', order: 11 },
    { path: '/console/compound', label: 'property.menu.compound', permission: 'property.read', order: 12 },
  ],
} satisfies Area
