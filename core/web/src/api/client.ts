// The typed API client: openapi-fetch over the generated schema, so a path,
// parameter or body the API no longer has fails `vue-tsc` in the build.
// Middleware adds the bearer token, Accept-Language and Idempotency-Key,
// turns an expired session into a re-sign-in that retries the request (the
// page keeps what the user typed), and a lost connection into NetworkError.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths } from './schema'
import { ApiError, NetworkError } from './errors'
import { idempotent } from './idempotent'

export type { paths, components } from './schema'

/** What the client needs from the session; set once by the session store. */
export interface ClientHooks {
  token(): string | null
  lang(): string
  /** A 401 came back: refresh or re-sign-in; true once a new token is in place. */
  recover(code: string): Promise<boolean>
  online(up: boolean): void
  /** A 403 saying the tenant is suspended or closed: the session is over. */
  ended?(code: string): void
}

let hooks: ClientHooks = {
  token: () => null,
  lang: () => 'zh-CN',
  recover: async () => false,
  online: () => {},
}

export function setClientHooks(h: ClientHooks) {
  hooks = h
}

// Requests that end a session or start one never trigger a re-sign-in.
const noRecover = /\/auth\/(login|refresh|logout)$/

/** A random key that also works outside a secure context (plain-HTTP LAN). */
export function randomKey(): string {
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

// A suspended or closed tenant's users are signed out (403 from any request).
const tenantGone = new Set(['tenant_suspended', 'tenant_deleted'])

const copies = new Map<string, Request>()

const middleware: Middleware = {
  onRequest({ request, schemaPath, id }) {
    const t = hooks.token()
    if (t && !request.headers.has('Authorization')) request.headers.set('Authorization', 'Bearer ' + t)
    request.headers.set('Accept-Language', hooks.lang())
    if (idempotent.has(request.method + ' ' + schemaPath) && !request.headers.has('Idempotency-Key')) {
      request.headers.set('Idempotency-Key', randomKey())
    }
    // Kept to send again after a re-sign-in (same Idempotency-Key).
    copies.set(id, request.clone())
    return request
  },
  async onResponse({ response, schemaPath, id }) {
    hooks.online(true)
    const copy = copies.get(id)
    copies.delete(id)
    if (response.status === 403 && hooks.ended) {
      const code = ApiError.from(403, await response.clone().json().catch(() => undefined)).code
      if (tenantGone.has(code)) hooks.ended(code)
      return response
    }
    if (response.status !== 401 || !copy || noRecover.test(schemaPath)) return response
    const body = await response.clone().json().catch(() => undefined)
    if (!(await hooks.recover(ApiError.from(401, body).code))) return response
    const again = copy.clone()
    again.headers.set('Authorization', 'Bearer ' + hooks.token())
    return fetch(again)
  },
  onError({ error, id }) {
    copies.delete(id)
    if (error instanceof DOMException && error.name === 'AbortError') return error
    hooks.online(false)
    return new NetworkError(error)
  },
}

export const client = createClient<paths, 'application/json'>({ baseUrl: '' })
client.use(middleware)

/**
 * Unwraps an openapi-fetch answer: the typed data, or an ApiError.
 * `const page = await call(client.GET('/api/v1/persons', { params: { query } }))`
 */
export async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await p
  if (r.error !== undefined || !r.response.ok) throw ApiError.from(r.response.status, r.error)
  return r.data as T
}
