import { AppError, toAppError } from '../errors.js'
import type { SafetyLevel } from './term-filter.js'

/**
 * What a failed safety model call means (pipeline.md): for kids and youth the run stops
 * (fail-closed, SAFETY_CHECK_FAILED); for adult and off it goes on, and the caller logs a
 * warning. A cancelled run is rethrown as it is. Returns the message to warn with.
 */
export function failClosed (err: unknown, level: SafetyLevel, signal: AbortSignal, what: string): string {
  const e = toAppError(err)
  if (e.code === 'ABORTED' || e.code === 'SHUTTING_DOWN' || signal.aborted) throw e
  if (level === 'kids' || level === 'youth') {
    throw new AppError('SAFETY_CHECK_FAILED', `The ${what} failed, so the run stops (fail-closed for ${level}): ${e.message}`, e.statusCode >= 500 ? e.statusCode : 502, { cause_code: e.code }, { cause: e })
  }
  return `${what} skipped: ${e.message}`
}
