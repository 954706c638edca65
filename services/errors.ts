/**
 * Errors that cross a service boundary carry an HTTP status and a stable machine code
 * (api.md: `code`). Routes map them to JSON before a stream starts and to `error`
 * events after; services never know which of the two it will be.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNKNOWN_SCHEMA'
  | 'BLOCKED'
  | 'QUEUE_FULL'
  | 'RATE_LIMITED'
  | 'ABORTED'
  | 'SHUTTING_DOWN'
  | 'STOPPED'
  | 'SAFETY_CHECK_FAILED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_BUSY'
  | 'MODEL_NOT_FOUND'
  | 'UPSTREAM_ERROR'
  | 'UPSTREAM_BAD_RESPONSE'
  | 'UPSTREAM_CLOSED'
  | 'CATALOG_INVALID'
  | 'INTERNAL_ERROR'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'UPSTREAM_TRUNCATED'
  | 'TOO_MANY_WAITING'
  | 'OUTPUT_UNAVAILABLE'

export class AppError extends Error {
  readonly statusCode: number
  readonly code: ErrorCode
  /** Extra, machine-readable detail that is safe to show a client. */
  readonly details: Record<string, unknown> | undefined

  constructor (code: ErrorCode, message: string, statusCode = 500, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
    this.statusCode = statusCode
    this.details = details
  }
}

/** Which of the four Ollama timeouts fired; all share the stable code UPSTREAM_TIMEOUT. */
export type TimeoutPhase = 'connect' | 'first_token' | 'idle' | 'total'

export class UpstreamTimeoutError extends AppError {
  readonly phase: TimeoutPhase
  constructor (phase: TimeoutPhase, ms: number, model: string) {
    super('UPSTREAM_TIMEOUT', `Ollama ${phaseText[phase]} for model "${model}" exceeded ${ms} ms`, 504, { phase, timeout_ms: ms })
    this.name = 'UpstreamTimeoutError'
    this.phase = phase
  }
}

const phaseText: Record<TimeoutPhase, string> = {
  connect: 'connect timeout',
  first_token: 'time to first token',
  idle: 'silence between tokens',
  total: 'total call time'
}

export function isAppError (err: unknown): err is AppError {
  return err instanceof AppError
}

/** Turns whatever was thrown into an AppError without losing a code it already had. */
export function toAppError (err: unknown): AppError {
  if (err instanceof AppError) return err
  const e = err as { name?: string, message?: string, code?: string } | undefined
  if (e?.name === 'AbortError') return new AppError('ABORTED', 'The run was cancelled', 499)
  return new AppError('INTERNAL_ERROR', e?.message ?? String(err), 500, undefined, { cause: err })
}
