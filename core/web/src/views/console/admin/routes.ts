// 系统管理: users, roles with the permission matrix, the audit log and the
// organisation's plugins.
import type { Area } from '../menu'

const g = 'admin.menu.group'

export default {
  routes: [
    { path: 'users', component: () => import('./Users.vue'), meta: { kind: 'user', permission: 'user.read' } },
    { path: 'roles', component: () => import('./Roles.vue'), meta: { kind: 'user', permission: 'role.read' } },
    { path: 'audit', component: () => import('./AuditLog.vue'), meta: { kind: 'user', permission: 'audit.read' } },
    { path: 'plugins', component: () => import('./Plugins.vue'), meta: { kind: 'user', permission: 'plugin.use' } },
  ],
  menu: [
    { path: '/console/users', label: 'admin.menu.users', permission: 'user.read', group: g, order: 90 },
    { path: '/console/roles', label: 'admin.menu.roles', permission: 'role.read', group: g, order: 91 },
    { path: '/console/audit', label: 'admin.menu.audit', permission: 'audit.read', group: g, order: 92 },
    { path: '/console/plugins', label: 'admin.menu.plugins', permission: 'plugin.use', group: g, order: 93 },
  ],
} satisfies Area
