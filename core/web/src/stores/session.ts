// The signed-in principal: tokens (kept in localStorage so a reload stays
// signed in), profile and permissions, and session recovery — a refresh
// when the access token expired, else the "session expired" dialog, which
// signs in again in place so the page underneath keeps its state.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { call, client, setClientHooks, type components } from '@/api/client'
import { lang } from '@/i18n'

type Session = components['schemas']['IdentitySession']
type Me = components['schemas']['IdentityMeBody']
export type Kind = 'user' | 'operator'

interface Saved {
  kind: Kind
  access: string
  refresh: string
  tenant: string
  login: string
}

const KEY = 'wuye.session'

function load(): Saved | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || 'null') as Saved | null
    return s && s.access ? s : null
  } catch {
    return null
  }
}

export const useSession = defineStore('session', () => {
  const saved = ref<Saved | null>(load())
  const me = ref<Me | null>(null)
  const roles = ref<string[]>([])
  const permissions = ref<Set<string>>(new Set())
  const expired = ref(false) // the re-sign-in dialog is open
  const offline = ref(false)
  /** Why the last session ended without the user signing out (a 403 code), for the sign-in page. */
  const notice = ref('')
  const waiting: ((ok: boolean) => void)[] = []
  let refreshing: Promise<boolean> | null = null

  const signedIn = computed(() => saved.value !== null)
  const kind = computed(() => saved.value?.kind ?? null)
  /** The person's name (陈建国 …), else the account's. */
  const displayName = computed(() => me.value?.user?.name || me.value?.operator?.name || me.value?.name || '')

  function keep(s: Session, k: Kind, tenant: string, login: string) {
    saved.value = { kind: k, access: s.access_token, refresh: s.refresh_token, tenant, login }
    localStorage.setItem(KEY, JSON.stringify(saved.value))
  }

  function forget() {
    saved.value = null
    me.value = null
    roles.value = []
    permissions.value = new Set()
    localStorage.removeItem(KEY)
  }

  async function signIn(k: Kind, tenant: string, login: string, password: string) {
    const body = { login, password, ...(k === 'user' && tenant ? { tenant } : {}) }
    const s = await call(
      k === 'operator'
        ? client.POST('/api/v1/operator/auth/login', { body })
        : client.POST('/api/v1/auth/login', { body }),
    )
    keep(s, k, tenant, login)
    notice.value = ''
    await loadProfile()
  }

  /** The tenant was suspended or closed: forget the session and go to sign in. */
  function ended(code: string) {
    if (!saved.value || saved.value.kind !== 'user') return
    notice.value = code
    expired.value = false
    waiting.splice(0).forEach((w) => w(false))
    forget()
    import('@/router').then(({ router }) => router.replace('/login'))
  }

  async function loadProfile() {
    if (saved.value?.kind === 'operator') {
      me.value = await call(client.GET('/api/v1/operator/auth/me'))
      roles.value = ['operator']
      permissions.value = new Set()
      return
    }
    me.value = await call(client.GET('/api/v1/auth/me'))
    const mine = await call(client.GET('/api/v1/auth/permissions'))
    roles.value = mine.roles ?? []
    permissions.value = new Set(mine.permissions ?? [])
  }

  async function signOut() {
    const r = saved.value?.refresh
    forget()
    if (r) await call(client.POST('/api/v1/auth/logout', { body: { refresh_token: r } })).catch(() => {})
  }

  async function refresh(): Promise<boolean> {
    const s = saved.value
    if (!s?.refresh) return false
    // Refreshes are serialised: a second one with the same token counts as reuse.
    refreshing ??= call(client.POST('/api/v1/auth/refresh', { body: { refresh_token: s.refresh } }))
      .then((n) => (keep(n, s.kind, s.tenant, s.login), true))
      .catch(() => false)
      .finally(() => (refreshing = null))
    return refreshing
  }

  /** Called by the client on a 401: true once requests may be sent again. */
  async function recover(code: string): Promise<boolean> {
    if (!saved.value) return false
    if (code === 'token_expired' && (await refresh())) return true
    if (!me.value) return false // still starting: the router sends them to sign in
    expired.value = true
    return new Promise<boolean>((resolve) => waiting.push(resolve))
  }

  /** The dialog's "sign in": same account, new password entry. */
  async function reauth(password: string) {
    const s = saved.value!
    const body = { login: s.login, password, ...(s.kind === 'user' && s.tenant ? { tenant: s.tenant } : {}) }
    const n = await call(
      s.kind === 'operator'
        ? client.POST('/api/v1/operator/auth/login', { body })
        : client.POST('/api/v1/auth/login', { body }),
    )
    keep(n, s.kind, s.tenant, s.login)
    expired.value = false
    waiting.splice(0).forEach((w) => w(true))
  }

  /** The dialog's "sign out": pending requests fail as they are. */
  function giveUp() {
    expired.value = false
    waiting.splice(0).forEach((w) => w(false))
    forget()
  }

  function can(p: string) {
    return permissions.value.has(p)
  }

  /** Where a principal lands after signing in. */
  function home(): string {
    if (saved.value?.kind === 'operator') return '/operator'
    if (roles.value.includes('resident') && !permissions.value.has('property.read')) return '/h5'
    // Field staff work on a phone: technicians on their orders, guards on patrol
    // (both may still open the console by its address).
    const field = roles.value.length > 0 && roles.value.every((r) => r === 'technician' || r === 'guard')
    if (field) return roles.value.includes('technician') ? '/tech' : '/tech/patrol'
    return '/console'
  }

  setClientHooks({
    token: () => saved.value?.access ?? null,
    lang: () => lang(),
    recover,
    online: (up) => (offline.value = !up),
    ended,
  })

  return { saved, me, displayName, roles, permissions, expired, offline, notice, signedIn, kind, signIn, loadProfile, signOut, recover, reauth, giveUp, can, home, forget, ended }
})
