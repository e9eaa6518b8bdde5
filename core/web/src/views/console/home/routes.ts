import type { Area } from '../menu'

export default {
  routes: [{ path: '', component: () => import('./Home.vue'), meta: { kind: 'user' } }],
  menu: [{ path: '/console', label: 'menu.home', order: 0 }],
} satisfies Area
