// The technician H5's pages (children of /tech) and its tab bar: my orders
// (and the pool to grab from), an order with accept / start / resolve with
// photos / decline, patrol check-ins, me.
import type { RouteRecordRaw } from 'vue-router'

export const techRoutes: RouteRecordRaw[] = [
  { path: '', component: () => import('./MyOrders.vue'), meta: { kind: 'user', permission: 'workorder.read' } },
  { path: 'orders/:id', component: () => import('./OrderDetail.vue'), props: true, meta: { kind: 'user', permission: 'workorder.read' } },
  { path: 'patrol', component: () => import('./Patrol.vue'), meta: { kind: 'user', permission: 'patrol.checkin' } },
  { path: 'me', component: () => import('../resident/Me.vue'), meta: { kind: 'user' } },
]

export const techTabs = [
  { to: '/tech', icon: 'orders-o', label: 'tech.orders', permission: 'workorder.read' },
  { to: '/tech/patrol', icon: 'location-o', label: 'techh5.patrol', permission: 'patrol.checkin' },
  { to: '/tech/me', icon: 'user-o', label: 'h5.me', permission: '' },
]
