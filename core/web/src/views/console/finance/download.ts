// Files from the API come through the typed client (bearer token, language,
// session recovery) as a blob, then saved under the server's file name.
import { ApiError } from '@/api/errors'

export async function saveBlob(p: Promise<{ data?: unknown; error?: unknown; response: Response }>, fallbackName: string) {
  const r = await p
  if (!r.response.ok) {
    const body = await r.response.clone().json().catch(() => r.error)
    throw ApiError.from(r.response.status, body)
  }
  const blob = r.data as Blob
  const cd = r.response.headers.get('Content-Disposition') ?? ''
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) ?? /filename="?([^";]+)"?/i.exec(cd)
  const name = m ? decodeURIComponent(m[1]) : fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
