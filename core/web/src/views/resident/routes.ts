// The resident H5's pages (children of /h5) and its tab bar. The home page
// opens every service (bills, repairs, notices, surveys, events); the tab
// bar keeps home and "me" (in that order).
import type { RouteRecordRaw } from 'vue-router'

const self = { kind: 'user' as const, permission: 'self.read' }
export const residentRoutes: RouteRecordRaw[] = [
  { path: '', component: () => import('./MyRooms.vue'), meta: { kind: 'user' } },
  { path: 'me', component: () => import('./Me.vue'), meta: { kind: 'user' } },
  { path: 'rooms/:id', component: () => import('./RoomDetail.vue'), meta: self, props: true },
  { path: 'bills', component: () => import('./Bills.vue'), meta: self },
  { path: 'pay/:id', component: () => import('./PayResult.vue'), meta: { kind: 'user', permission: 'self.pay' }, props: true },
  { path: 'repairs', component: () => import('./Repairs.vue'), meta: { kind: 'user', permission: 'self.workorder' } },
  { path: 'repairs/new', component: () => import('./RepairNew.vue'), meta: { kind: 'user', permission: 'self.workorder' } },
  { path: 'repairs/:id', component: () => import('./RepairDetail.vue'), meta: { kind: 'user', permission: 'self.workorder' }, props: true },
  { path: 'notices', component: () => import('./Notices.vue'), meta: self },
  { path: 'notices/:id', component: () => import('./NoticeDetail.vue'), meta: self, props: true },
  { path: 'surveys', component: () => import('./Surveys.vue'), meta: { kind: 'user', permission: 'self.survey' } },
  { path: 'surveys/:id', component: () => import('./SurveyAnswer.vue'), meta: { kind: 'user', permission: 'self.survey' }, props: true },
  { path: 'events', component: () => import('./Events.vue'), meta: self },
  { path: 'events/:id', component: () => import('./EventDetail.vue'), meta: self, props: true },
  { path: 'plugins/:name/:page', component: () => import('./PluginPage.vue'), meta: { kind: 'user' } },
]

export const residentTabs = [
  { to: '/h5', icon: 'home-o', label: 'h5.home' },
  { to: '/h5/me', icon: 'user-o', label: 'h5.me' },
]
