import type { Area } from '../menu'

// 财务: payments (the start of a refund), the refund approval queue, arrears
// with aging and collection work, the collection log and the financial report.
export default {
  routes: [
    { path: 'finance/payments', component: () => import('./Payments.vue'), meta: { kind: 'user', permission: 'billing.read' } },
    { path: 'finance/refunds', component: () => import('./Refunds.vue'), meta: { kind: 'user', permission: 'billing.read' } },
    { path: 'finance/arrears', component: () => import('./Arrears.vue'), meta: { kind: 'user', permission: 'billing.read' } },
    { path: 'finance/collections', component: () => import('./Collections.vue'), meta: { kind: 'user', permission: 'billing.read' } },
    { path: 'finance/report', component: () => import('./Report.vue'), meta: { kind: 'user', permission: 'billing.read' } },
  ],
  menu: [
    { path: '/console/finance/payments', label: 'finance.menu.payments', group: 'finance.menu.group', permission: 'billing.read', order: 50 },
    { path: '/console/finance/refunds', label: 'finance.menu.refunds', group: 'finance.menu.group', permission: 'billing.read', order: 51 },
    { path: '/console/finance/arrears', label: 'finance.menu.arrears', group: 'finance.menu.group', permission: 'billing.read', order: 52 },
    { path: '/console/finance/collections', label: 'finance.menu.collections', group: 'finance.menu.group', permission: 'billing.read', order: 53 },
    { path: '/console/finance/report', label: 'finance.menu.report', group: 'finance.menu.group', permission: 'billing.read', order: 54 },
  ],
} satisfies Area
