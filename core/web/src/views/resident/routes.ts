// The resident H5's pages (children of /h5) and its tab bar.
import type { RouteRecordRaw } from 'vue-router'

export const residentRoutes: RouteRecordRaw[] = [
  { path: '', component: () => import('./MyRooms.vue'), meta: { kind: 'user' } },
  { path: 'me', component: () => import('./Me.vue'), meta: { kind: 'user' } },
]

export const residentTabs = [
  { to: '/h5', icon: 'home-o', label: 'h5.home' },
  { to: '/h5/me', icon: 'user-o', label: 'h5.me' },
]
