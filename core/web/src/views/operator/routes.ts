// The operator console's pages (children of /operator) and its top menu.
import type { RouteRecordRaw } from 'vue-router'

export const operatorRoutes: RouteRecordRaw[] = [
  { path: '', redirect: '/operator/tenants' },
  { path: 'tenants', component: () => import('./Tenants.vue'), meta: { kind: 'operator' } },
]

export const operatorMenu = [{ path: '/operator/tenants', label: 'menu.tenants' }]
