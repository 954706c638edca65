import type { Dispatcher } from 'undici'
import { AppError } from '../errors.js'
import type { CallGuard } from './call.js'
import { toStats, truncatedError } from './call.js'
import type { StreamStats } from './client.js'
import { NdjsonSplitter } from './ndjson.js'
import { ThinkFilter } from './think.js'

/**
 * Takes one answer piece. Returns nothing when the piece is handed on, or a promise when the
 * consumer is full (its socket's buffer): the body is paused until it settles, and a rejection
 * ends the call with that error.
 */
export type PieceSink = (piece: string) => void | Promise<void>

export interface PushOptions {
  guard: CallGuard
  model: string
  /** The answer text of one line (`message.content`, `response`). */
  pick: (line: Record<string, unknown>) => unknown
  /** The request's options, for the truncation error. */
  options: Record<string, unknown> | undefined
  /** How long to wait for the end of the response after `done`. */
  drainGraceMs: number
  onPiece: PieceSink
  /** Called once, when the first answer piece is handed on. */
  onFirst: () => void
  /** Maps a transport error (undici's) to the caller's error. */
  mapError: (err: unknown) => AppError
}

/**
 * Reads a streamed Ollama response in its `data` callback: each chunk is split into lines,
 * each line parsed, filtered (`<think>`) and handed to `onPiece` synchronously, with no
 * promise or generator per token. Resolves with the stats once the `done` line came and the
 * response was read to its natural end (so its socket goes back to the pool; bounded by
 * `drainGraceMs`, and cut short by an abort, which then still counts as done). Rejects,
 * with the body destroyed (which closes the socket and stops the generation), on an abort, a
 * timeout, a bad line, an error line, the consumer's rejection or an early end.
 */
export async function readPushed (body: Dispatcher.ResponseData['body'], o: PushOptions): Promise<StreamStats> {
  return await new Promise<StreamStats>((resolve, reject) => {
    const splitter = new NdjsonSplitter()
    const filter = new ThinkFilter()
    const signal = o.guard.signal
    let answered = false
    let finished = false
    let settled = false
    let stats: StreamStats | undefined
    let endError: AppError | undefined
    let drainTimer: NodeJS.Timeout | undefined
    let waitingFor: Promise<void> | undefined

    const cleanup = (): void => {
      settled = true
      clearTimeout(drainTimer)
      signal.removeEventListener('abort', onAbort)
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      body.off('close', onClose)
      // A body nobody listens to any more must never throw an unhandled error.
      body.on('error', () => {})
    }
    const fail = (err: unknown): void => {
      if (settled) return
      cleanup()
      body.destroy()
      reject(o.guard.reason() ?? o.mapError(err))
    }
    const succeed = (): void => {
      if (settled) return
      cleanup()
      if (!body.destroyed && !body.readableEnded) body.destroy()
      if (endError !== undefined) reject(endError)
      else resolve(stats as StreamStats)
    }
    const onLine = (value: unknown): void => {
      if (finished) return // Ollama sends nothing after `done`; anything that came is ignored.
      if (value === null || typeof value !== 'object') {
        throw new AppError('UPSTREAM_BAD_RESPONSE', 'Ollama sent a line that is not a JSON object', 502)
      }
      const obj = value as Record<string, unknown>
      if (obj.error !== undefined) {
        throw new AppError('UPSTREAM_ERROR', `Ollama reported an error: ${String(obj.error)}`, 502, { model: o.model })
      }
      const raw = o.pick(obj)
      const done = obj.done === true
      let piece = typeof raw === 'string' && raw !== '' ? filter.push(raw) : ''
      if (done) piece += filter.flush()
      if (done) {
        finished = true
        stats = toStats(obj, o.model)
        if (piece === '' && !answered && stats.done_reason === 'length') endError = truncatedError(o.model, o.options)
      }
      if (piece !== '') {
        if (!answered) { answered = true; o.onFirst() }
        const wait = o.onPiece(piece)
        if (wait !== undefined) pauseFor(wait)
      }
      if (done) {
        // Read to the natural end (the chunked terminator follows in its own write).
        if (body.readableEnded) succeed()
        else {
          drainTimer = setTimeout(succeed, o.drainGraceMs)
          if (body.isPaused() && waitingFor === undefined) body.resume()
        }
      }
    }
    const pauseFor = (wait: Promise<void>): void => {
      waitingFor = wait
      body.pause()
      wait.then(() => {
        if (waitingFor !== wait || settled) return
        waitingFor = undefined
        body.resume()
      }, fail)
    }
    const onData = (chunk: Buffer): void => {
      if (settled) return
      o.guard.gotToken() // any bytes, thinking too: the model is alive
      try {
        splitter.push(chunk, onLine)
      } catch (err) {
        fail(err)
      }
    }
    const onEnd = (): void => {
      if (settled) return
      try {
        splitter.end(onLine)
      } catch (err) {
        fail(err)
        return
      }
      if (finished) succeed()
      else fail(new AppError('UPSTREAM_CLOSED', `Ollama closed the stream of model "${o.model}" before it was done`, 502))
    }
    const onError = (err: Error): void => {
      if (finished) succeed()
      else fail(err)
    }
    const onClose = (): void => {
      if (finished) succeed()
      else fail(new AppError('UPSTREAM_CLOSED', `Ollama closed the stream of model "${o.model}" before it was done`, 502))
    }
    const onAbort = (): void => {
      if (finished) succeed()
      else fail(o.guard.reason() ?? new AppError('ABORTED', 'The model call was cancelled', 499))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    body.on('data', onData)
    body.on('end', onEnd)
    body.on('error', onError)
    body.on('close', onClose)
    if (signal.aborted) onAbort()
  })
}
