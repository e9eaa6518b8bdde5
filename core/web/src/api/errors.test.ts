import { describe, expect, it } from 'vitest'
import { ApiError } from './errors'

describe('ApiError', () => {
  it('reads the API error shape with field errors', () => {
    const e = ApiError.from(400, {
      error: {
        code: 'invalid_input',
        message: 'Some input is invalid',
        details: [{ field: 'name', code: 'required', message: 'name is required', message_zh: 'name 不能为空' }],
        request_id: 'r1',
      },
    })
    expect(e.status).toBe(400)
    expect(e.code).toBe('invalid_input')
    expect(e.requestId).toBe('r1')
    expect(e.fields).toHaveLength(1)
    expect(e.fieldMessage(e.fields[0], 'zh-CN')).toBe('name 不能为空')
    expect(e.fieldMessage(e.fields[0], 'en')).toBe('name is required')
  })

  it('keeps details that are not field errors out of fields', () => {
    const e = ApiError.from(423, { error: { code: 'account_locked', message: 'locked', details: { locked_until: 'x' } } })
    expect(e.fields).toEqual([])
    expect(e.details).toEqual({ locked_until: 'x' })
  })

  it('makes an error of an answer without the shape', () => {
    const e = ApiError.from(502, 'Bad gateway')
    expect(e.code).toBe('http_502')
  })
})
