// The list pattern: server-side paging, sorting and filtering with the API's
// conventions (page, page_size, sort, filters as query parameters; the answer
// {items, total, page, page_size}). Pages never hold more than one page.
import { reactive, ref, shallowRef, watch } from 'vue'
import { ApiError } from '@/api/errors'

export interface PageOf<T> {
  items?: T[] | null
  total: number
  page: number
  page_size: number
}

export interface ListQuery {
  page: number
  page_size: number
  sort?: string
}

export function useList<T, F extends Record<string, string | undefined>>(
  fetch: (q: ListQuery & Partial<F>) => Promise<PageOf<T>>,
  opts: { pageSize?: number; sort?: string; filters: F },
) {
  const items = shallowRef<T[]>([])
  const total = ref(0)
  const page = ref(1)
  const pageSize = ref(opts.pageSize ?? 20)
  const sort = ref(opts.sort ?? '')
  const filters = reactive({ ...opts.filters }) as F
  const loading = ref(false)
  const error = ref<unknown>(null)
  let seq = 0

  async function reload() {
    const my = ++seq
    loading.value = true
    error.value = null
    const q: Record<string, unknown> = { page: page.value, page_size: pageSize.value }
    if (sort.value) q.sort = sort.value
    for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== '') q[k] = v
    try {
      const r = await fetch(q as ListQuery & Partial<F>)
      if (my !== seq) return // a later request won
      items.value = r.items ?? []
      total.value = r.total
    } catch (e) {
      if (my === seq) error.value = e
    } finally {
      if (my === seq) loading.value = false
    }
  }

  /** Apply the filters from page 1. */
  function search() {
    if (page.value !== 1) page.value = 1
    else reload()
  }

  /** Sort by a field; desc puts the API's "-" in front. */
  function sortBy(field: string, desc: boolean) {
    sort.value = field ? (desc ? '-' : '') + field : ''
    search()
  }

  watch([page, pageSize], reload)
  const errorCode = () => (error.value instanceof ApiError ? error.value.code : error.value ? 'network' : '')
  return reactive({ items, total, page, pageSize, sort, filters, loading, error, errorCode, reload, search, sortBy })
}
