import type { Area } from '../menu'

// The service desk (客服工单): the board, dispatch, an order's file, SLA.
export default {
  routes: [
    { path: 'workorders', component: () => import('./WorkOrders.vue'), meta: { kind: 'user', permission: 'workorder.read' } },
    { path: 'workorders/dispatch', component: () => import('./Dispatch.vue'), meta: { kind: 'user', permission: 'workorder.read' } },
    { path: 'workorders/sla', component: () => import('./Sla.vue'), meta: { kind: 'user', permission: 'workorder.read' } },
    { path: 'workorders/:id', component: () => import('./WorkOrderDetail.vue'), props: true, meta: { kind: 'user', permission: 'workorder.read' } },
  ],
  menu: [
    { path: '/console/workorders', label: 'desk.menu.board', permission: 'workorder.read', group: 'desk.menu.group', order: 40 },
    { path: '/console/workorders/dispatch', label: 'desk.menu.dispatch', permission: 'workorder.read', group: 'desk.menu.group', order: 41 },
    { path: '/console/workorders/sla', label: 'desk.menu.sla', permission: 'workorder.read', group: 'desk.menu.group', order: 42 },
  ],
} satisfies Area
