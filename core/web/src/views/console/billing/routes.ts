import type { Area } from '../menu'

// 收费管理: fee items and rules, bill runs, bills, the counter payment and
// its printable receipt (refunds, arrears and reports are the finance area's).
export default {
  routes: [
    { path: 'billing/fee-items', component: () => import('./FeeItems.vue'), meta: { kind: 'user', permission: 'billing.read' } },
    { path: 'billing/runs', component: () => import('./BillRuns.vue'), meta: { kind: 'user', permission: 'billing.read' } },
    { path: 'billing/bills', component: () => import('./Bills.vue'), meta: { kind: 'user', permission: 'billing.read' } },
    { path: 'billing/collect', component: () => import('./Collect.vue'), meta: { kind: 'user', permission: 'payment.collect' } },
    { path: 'billing/receipts/:id', component: () => import('./Receipt.vue'), meta: { kind: 'user', permission: 'payment.collect' } },
  ],
  menu: [
    { path: '/console/billing/fee-items', label: 'billing.menu.feeItems', group: 'billing.menu.group', permission: 'billing.read', order: 30 },
    { path: '/console/billing/runs', label: 'billing.menu.runs', group: 'billing.menu.group', permission: 'billing.read', order: 31 },
    { path: '/console/billing/bills', label: 'billing.menu.bills', group: 'billing.menu.group', permission: 'billing.read', order: 32 },
    { path: '/console/billing/collect', label: 'billing.menu.collect', group: 'billing.menu.group', permission: 'payment.collect', order: 33 },
  ],
} satisfies Area
