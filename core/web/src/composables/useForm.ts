// The form pattern: submit once, show the API's field errors next to each
// field in the chosen language (they switch with it), keep the model as
// typed on any error — including an expired session, which the client
// resolves by signing in again and retrying.
import { computed, reactive, ref, shallowRef, type UnwrapRef } from 'vue'
import { ApiError, NetworkError, type FieldError } from '@/api/errors'
import { i18n } from '@/i18n'

export function useForm<M extends object, R>(initial: M, send: (model: UnwrapRef<M>) => Promise<R>) {
  const model = reactive(structuredClone(initial))
  const busy = ref(false)
  const failure = shallowRef<unknown>(null)

  const fields = computed<FieldError[]>(() => (failure.value instanceof ApiError ? failure.value.fields : []))
  /** errors.name is the message for the field "name" (first one wins). */
  const errors = computed<Record<string, string>>(() => {
    const zh = String(i18n.global.locale.value).startsWith('zh')
    const out: Record<string, string> = {}
    for (const f of fields.value) out[f.field] ??= zh && f.message_zh ? f.message_zh : f.message
    return out
  })
  /** The error that belongs to no field: an i18n key or the server's text. */
  const formError = computed(() => {
    const e = failure.value
    if (!e) return ''
    if (e instanceof NetworkError) return i18n.global.t('common.offline')
    if (e instanceof ApiError) return fields.value.length ? '' : e.message
    return i18n.global.t('common.unexpected')
  })

  async function submit(): Promise<R | undefined> {
    if (busy.value) return
    busy.value = true
    failure.value = null
    try {
      return await send(model as UnwrapRef<M>)
    } catch (e) {
      failure.value = e
      return undefined
    } finally {
      busy.value = false
    }
  }

  function reset() {
    Object.assign(model, structuredClone(initial))
    failure.value = null
  }

  return reactive({ model, busy, errors, formError, failure, submit, reset })
}
