// Pages contributed by enabled plugins: one host route; their menu entries
// are dynamic (pages.ts pluginMenu, shown by the console shell).
import type { Area } from '../menu'

export default {
  routes: [{ path: 'plugins/:name/:page', component: () => import('./PluginPage.vue'), meta: { kind: 'user', permission: 'plugin.use' } }],
  menu: [],
} satisfies Area
