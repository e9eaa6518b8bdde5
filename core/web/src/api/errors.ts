// The API's one error shape (docs/api.md "Errors") as a typed error.
export interface FieldError {
  field: string
  code: string
  message: string
  message_zh?: string
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: unknown
  readonly fields: FieldError[]
  readonly requestId?: string

  constructor(status: number, code: string, message: string, details?: unknown, requestId?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
    this.requestId = requestId
    this.fields = Array.isArray(details) ? (details as FieldError[]).filter((d) => d && typeof d.field === 'string') : []
  }

  /** Reads `{"error": {...}}`; anything else still becomes an ApiError. */
  static from(status: number, body: unknown): ApiError {
    const e = (body as { error?: Record<string, unknown> } | undefined)?.error
    if (e && typeof e.code === 'string') {
      return new ApiError(status, e.code, String(e.message ?? e.code), e.details, e.request_id as string | undefined)
    }
    return new ApiError(status, 'http_' + status, 'HTTP ' + status)
  }

  /** The message of one field in the chosen language. */
  fieldMessage(f: FieldError, lang: string): string {
    return lang.startsWith('zh') && f.message_zh ? f.message_zh : f.message
  }
}

/** The server could not be reached (no answer at all). */
export class NetworkError extends Error {
  constructor(cause?: unknown) {
    super('network error')
    this.name = 'NetworkError'
    this.cause = cause
  }
}
