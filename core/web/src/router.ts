// Routes, code-split per area: the sign-in pages, the operator console, the
// staff console, the resident H5 and the technician H5 each load their own
// chunks. Each surface lists its pages next to them (views/<surface>/routes.ts;
// the staff console per area, views/console/<area>/routes.ts). meta.kind says
// who may open a route; the guard sends others to sign in.
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router'
import { useSession, type Kind } from '@/stores/session'
import { consoleRoutes } from '@/views/console/menu'
import { operatorRoutes } from '@/views/operator/routes'
import { residentRoutes } from '@/views/resident/routes'
import { techRoutes } from '@/views/tech/routes'

declare module 'vue-router' {
  interface RouteMeta {
    kind?: Kind
    permission?: string
    menu?: string // the menu entry to highlight when the path is not below one (a room's file → the compound)
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: '/login' },
    { path: '/login', component: () => import('@/views/auth/SignIn.vue') },
    { path: '/operator/login', component: () => import('@/views/auth/SignIn.vue'), props: { operator: true } },
    {
      path: '/operator',
      component: () => import('@/views/operator/OperatorShell.vue'),
      meta: { kind: 'operator' },
      children: operatorRoutes,
    },
    {
      path: '/console',
      component: () => import('@/views/console/ConsoleShell.vue'),
      meta: { kind: 'user' },
      children: consoleRoutes,
    },
    {
      path: '/h5',
      component: () => import('@/views/resident/ResidentShell.vue'),
      meta: { kind: 'user' },
      children: residentRoutes,
    },
    {
      path: '/tech',
      component: () => import('@/views/tech/TechShell.vue'),
      meta: { kind: 'user' },
      children: techRoutes,
    },
    { path: '/:rest(.*)*', component: () => import('@/views/NotFound.vue') },
  ],
})

function signInPage(to: RouteLocationNormalized) {
  return { path: to.meta.kind === 'operator' ? '/operator/login' : '/login', query: { next: to.fullPath } }
}

router.beforeEach(async (to) => {
  const session = useSession()
  if (!to.meta.kind) return true
  if (!session.signedIn || session.kind !== to.meta.kind) return signInPage(to)
  if (!session.me) {
    try {
      await session.loadProfile()
    } catch {
      session.forget()
      return signInPage(to)
    }
  }
  // Residents have the H5 only; staff areas would show them empty menus.
  if (session.home() === '/h5' && !to.path.startsWith('/h5')) return '/h5'
  if (to.meta.permission && !session.can(to.meta.permission)) return session.home()
  return true
})
