import { describe, expect, it } from 'vitest'
import { fenToYuan, formatFen, yuanToFen } from './money'

describe('money', () => {
  it('formats fen as yuan', () => {
    expect(fenToYuan(0)).toBe('0.00')
    expect(fenToYuan(7)).toBe('0.07')
    expect(fenToYuan(12345)).toBe('123.45')
    expect(fenToYuan(-5)).toBe('-0.05')
    expect(formatFen(123456789)).toBe('¥1,234,567.89')
    expect(formatFen(-100)).toBe('-¥1.00')
  })
  it('parses yuan text exactly', () => {
    expect(yuanToFen('268.68')).toBe(26868)
    expect(yuanToFen('0.1')).toBe(10)
    expect(yuanToFen(' ¥1,234.5 ')).toBe(123450)
    expect(yuanToFen('12')).toBe(1200)
    expect(yuanToFen('12.')).toBe(1200)
    expect(yuanToFen('1.005')).toBeNull()
    expect(yuanToFen('-1')).toBeNull()
    expect(yuanToFen('abc')).toBeNull()
    expect(yuanToFen('')).toBeNull()
    expect(yuanToFen('0.29')).toBe(29) // 0.29 * 100 is 28.999… in floating point
  })
})
