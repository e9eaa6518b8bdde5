import type { Area } from '../menu'

// 社区服务: patrol (routes, checkpoints, results), announcements, surveys and
// the notification log.
export default {
  routes: [
    { path: 'patrol', component: () => import('./PatrolResults.vue'), meta: { kind: 'user', permission: 'patrol.read' } },
    { path: 'patrol/routes', component: () => import('./PatrolRoutes.vue'), meta: { kind: 'user', permission: 'patrol.read' } },
    { path: 'patrol/rounds/:id', component: () => import('./PatrolRound.vue'), props: true, meta: { kind: 'user', permission: 'patrol.read' } },
    { path: 'announcements', component: () => import('./Announcements.vue'), meta: { kind: 'user', permission: 'notify.send' } },
    { path: 'surveys', component: () => import('./Surveys.vue'), meta: { kind: 'user', permission: 'survey.read' } },
    { path: 'surveys/:id', component: () => import('./SurveyResults.vue'), props: true, meta: { kind: 'user', permission: 'survey.read' } },
    { path: 'notifications', component: () => import('./Deliveries.vue'), meta: { kind: 'user', permission: 'notify.send' } },
  ],
  menu: [
    { path: '/console/patrol', label: 'service.menu.patrol', permission: 'patrol.read', group: 'service.menu.group', order: 60 },
    { path: '/console/patrol/routes', label: 'service.menu.patrolRoutes', permission: 'patrol.read', group: 'service.menu.group', order: 61 },
    { path: '/console/announcements', label: 'service.menu.announcements', permission: 'notify.send', group: 'service.menu.group', order: 62 },
    { path: '/console/surveys', label: 'service.menu.surveys', permission: 'survey.read', group: 'service.menu.group', order: 63 },
    { path: '/console/notifications', label: 'service.menu.notifications', permission: 'notify.send', group: 'service.menu.group', order: 64 },
  ],
} satisfies Area
