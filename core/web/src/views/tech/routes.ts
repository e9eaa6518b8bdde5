// The technician H5's pages (children of /tech) and its tab bar.
import type { RouteRecordRaw } from 'vue-router'

export const techRoutes: RouteRecordRaw[] = [
  { path: '', component: () => import('./MyOrders.vue'), meta: { kind: 'user', permission: 'workorder.read' } },
  { path: 'me', component: () => import('../resident/Me.vue'), meta: { kind: 'user' } },
]

export const techTabs = [
  { to: '/tech', icon: 'orders-o', label: 'tech.orders' },
  { to: '/tech/me', icon: 'user-o', label: 'h5.me' },
]
