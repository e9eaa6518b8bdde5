// Pages contributed by the organisation's enabled plugins (GET
// /api/v1/tenant/plugins, each plugin's `pages`), and the loader of their
// bundles. The staff console's menu shows `pluginMenu` (console pages the
// user may open) as its own section; /console/plugins/:name/:page hosts one.
//
// A bundle is an ES module whose default export is mount(el, ctx):
// ctx.api(method, path, body) calls /api/v1/plugins/{name}{path} with the
// user's credential and resolves to the JSON answer; ctx.lang is 'zh' or
// 'en'. Bundles are served at /api/v1/plugins/{name}/ui/{bundle} to signed-in
// users only, so they are fetched with the bearer token and imported from a
// blob: URL (the console's CSP allows blob: scripts for this).
import { computed, shallowRef } from 'vue'
import { call, client, randomKey, type components } from '@/api/client'
import { ApiError, NetworkError } from '@/api/errors'
import { lang } from '@/i18n'
import { useSession } from '@/stores/session'

type Enablement = components['schemas']['CatalogueEnablement']
export type PluginPage = components['schemas']['CataloguePage'] & { plugin: string }

export interface PluginContext {
  api(method: string, path: string, body?: unknown): Promise<unknown>
  /** GETs a plugin route with the user's credential and answers an object URL
   *  of the body, for an <img> or a download link (which cannot send a token). */
  fileURL(path: string): Promise<string>
  lang: 'zh' | 'en'
}
type Mount = (el: HTMLElement, ctx: PluginContext) => unknown

/** The enabled plugins, as last loaded. */
export const enabledPlugins = shallowRef<Enablement[]>([])
let loaded: Promise<void> | null = null

/** Loads the enabled plugins once (again with force, after enabling one). */
export function loadPluginPages(force = false): Promise<void> {
  const session = useSession()
  if (!session.can('plugin.use')) {
    enabledPlugins.value = []
    return Promise.resolve()
  }
  if (loaded && !force) return loaded
  loaded = call(client.GET('/api/v1/tenant/plugins'))
    .then((r) => {
      enabledPlugins.value = (r.items ?? []).filter((p) => p.enabled)
    })
    .catch(() => {
      loaded = null // a later visit tries again; the menu just lacks the section
    })
  return loaded
}

/** Every page of the enabled plugins. */
export const pluginPages = computed<PluginPage[]>(() =>
  enabledPlugins.value.flatMap((p) => (p.pages ?? []).map((pg) => ({ ...pg, plugin: p.name }))),
)

/** The console pages the signed-in user may open, for the menu. */
export const pluginMenu = computed(() => {
  const session = useSession()
  return pluginPages.value
    .filter((p) => p.surface === 'console' && (!p.permission || session.can(p.permission)))
    .map((p) => ({ path: `/console/plugins/${p.plugin}/${p.id}`, title_zh: p.title_zh, title_en: p.title_en, plugin: p.plugin, id: p.id }))
})

/** fetch with the session's credential; a 401 is recovered once as the client does. */
async function send(method: string, url: string, body?: unknown, again = true): Promise<Response> {
  const session = useSession()
  const headers: Record<string, string> = { 'Accept-Language': lang() }
  const token = session.saved?.access
  if (token) headers.Authorization = 'Bearer ' + token
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && method !== 'HEAD') headers['Idempotency-Key'] = randomKey()
  let res: Response
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  } catch (e) {
    throw new NetworkError(e)
  }
  if (res.ok) return res
  const err = ApiError.from(res.status, await res.json().catch(() => undefined))
  if (res.status === 401 && again && (await session.recover(err.code))) return send(method, url, body, false)
  if (res.status === 403 && (err.code === 'tenant_suspended' || err.code === 'tenant_deleted')) session.ended(err.code)
  throw err
}

const path = (s: string) => s.split('/').map(encodeURIComponent).join('/')
const modules = new Map<string, Promise<Mount>>()

/** Fetches a plugin's bundle and imports it (once per plugin version). */
export function loadBundle(plugin: string, bundle: string, version: string): Promise<Mount> {
  const key = `${plugin}@${version}/${bundle}`
  let m = modules.get(key)
  if (!m) {
    m = (async () => {
      const res = await send('GET', `/api/v1/plugins/${encodeURIComponent(plugin)}/ui/${path(bundle)}`)
      const src = await res.text()
      const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }))
      try {
        const mod = (await import(/* @vite-ignore */ url)) as { default?: unknown }
        if (typeof mod.default !== 'function') throw new Error('the bundle has no default export mount(el, ctx)')
        return mod.default as Mount
      } finally {
        URL.revokeObjectURL(url)
      }
    })()
    m.catch(() => modules.delete(key))
    modules.set(key, m)
  }
  return m
}

/** The ctx handed to a plugin's mount. */
export function pluginContext(plugin: string): PluginContext {
  return {
    lang: lang().startsWith('zh') ? 'zh' : 'en',
    async api(method: string, p: string, body?: unknown) {
      const res = await send(method.toUpperCase(), `/api/v1/plugins/${encodeURIComponent(plugin)}${p.startsWith('/') ? p : '/' + p}`, body)
      if (res.status === 204) return null
      const text = await res.text()
      return text ? JSON.parse(text) : null
    },
    async fileURL(p: string) {
      const res = await send('GET', `/api/v1/plugins/${encodeURIComponent(plugin)}${p.startsWith('/') ? p : '/' + p}`)
      return URL.createObjectURL(await res.blob())
    },
  }
}
