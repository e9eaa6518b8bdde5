// The operator console's pages (children of /operator) and its top menu.
import type { RouteRecordRaw } from 'vue-router'

export const operatorRoutes: RouteRecordRaw[] = [
  { path: '', redirect: '/operator/tenants' },
  { path: 'tenants', component: () => import('./Tenants.vue'), meta: { kind: 'operator' } },
  { path: 'plugins', component: () => import('./Plugins.vue'), meta: { kind: 'operator' } },
  { path: 'queue', component: () => import('./Queue.vue'), meta: { kind: 'operator' } },
  { path: 'processes', component: () => import('./Processes.vue'), meta: { kind: 'operator' } },
  { path: 'audit', component: () => import('@/views/console/admin/AuditLog.vue'), props: { operator: true }, meta: { kind: 'operator' } },
]

export const operatorMenu = [
  { path: '/operator/tenants', label: 'menu.tenants' },
  { path: '/operator/plugins', label: 'operator.menu.plugins' },
  { path: '/operator/queue', label: 'operator.menu.queue' },
  { path: '/operator/processes', label: 'operator.menu.processes' },
  { path: '/operator/audit', label: 'operator.menu.audit' },
]
