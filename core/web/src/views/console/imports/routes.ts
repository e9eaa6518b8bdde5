import type { Area } from '../menu'

// The import wizard: any of the four import permissions opens it; the page
// offers only the kinds the user may import.
export default {
  routes: [
    { path: 'imports', component: () => import('./ImportWizard.vue'), meta: { kind: 'user', permission: 'property.read' } },
  ],
  menu: [{ path: '/console/imports', label: 'imports.menu', permission: 'property.read', order: 60 }],
} satisfies Area
