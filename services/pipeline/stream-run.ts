import { toAppError } from '../errors.js'
import { t, type Lang } from '../i18n.js'
import type { CatalogConfig } from '../catalog/catalog.js'
import type { QueueClient } from '../slot-queue.js'
import type { SafetyLevel } from '../safety/term-filter.js'
import { termCheck, type Refusal } from '../stages/stage1.js'
import { userMessage } from './error-messages.js'
import type { Logger, PipelineDeps } from './deps.js'
import { endOf, RunScope } from './lifecycle.js'
import { interception } from './steps.js'
import { BlockedError, stage1, type RunOptions } from './json-run.js'

/** Where a run's events go. `send` resolves when the bytes are handed on (backpressure). */
export interface EventSink {
  send: (event: string, data: Record<string, unknown>) => Promise<void>
  /**
   * The per-token path: writes one pre-built SSE frame; returns a promise only when the
   * socket is full (it settles on drain, rejects when the client is gone). Without it,
   * tokens go through `send`.
   */
  frame?: (text: string) => void | Promise<void>
}

/** A `chunk` event, built as one string: no object and no formatter per token. */
export function chunkFrame (piece: string, count: number, accumulated: string | undefined): string {
  return accumulated === undefined
    ? `event: chunk\ndata: {"stage":2,"text_chunk":${JSON.stringify(piece)},"chunk_count":${count}}\n\n`
    : `event: chunk\ndata: {"stage":2,"text_chunk":${JSON.stringify(piece)},"chunk_count":${count},"accumulated":${JSON.stringify(accumulated)}}\n\n`
}

export interface StreamRunRequest {
  runId: string
  config: CatalogConfig
  inputText: string
  contextPrompt: string | undefined
  safetyLevel: SafetyLevel
  executionMode: string
  lang: Lang
  /** Repeat the whole text so far in every `chunk` (api.md §1: only when asked; O(n²) bytes). */
  accumulated?: boolean
  /** Whose run: its fair-queue bucket, and (browser) the owner the run store records. */
  client?: QueueClient
}

export type RunStatus = 'completed' | 'blocked' | 'error' | 'aborted'
export interface RunOutcome { status: RunStatus, code?: string }

/**
 * Runs Stages 1–2 of one streaming run and reports every step to the sink. It owns no
 * HTTP: the caller hands in a sink and a signal, and aborting the signal (client gone,
 * shutdown) stops the queue wait or the model call wherever the run is.
 */
export async function streamRun (deps: PipelineDeps, req: StreamRunRequest, sink: EventSink, signal: AbortSignal, log: Logger): Promise<RunOutcome> {
  const { runId, lang } = req
  const scope = new RunScope(deps, {
    runId,
    client: req.client,
    configName: req.config.id,
    executionMode: req.executionMode,
    safetyLevel: req.safetyLevel,
    expected: ['interception'],
    first: (rec) => {
      rec.record('input', req.inputText)
      rec.record('config_used', { config: req.config.id, pipeline: req.config.pipeline, streaming: true })
      if (req.contextPrompt !== undefined) rec.record(`context_prompt_${lang}`, req.contextPrompt)
    }
  }, log)
  // The record starts when the run does work (its slot, a refusal, its end): thousands of
  // runs waiting in line then cost no disk writes while they wait.
  const startRecord = (): void => { scope.start().catch(() => {}) }
  const rec = scope.rec
  try {
    await sink.send('connected', { run_id: runId, schema: req.config.id, stages: 2 })
    await sink.send('stage_start', { stage: 1, name: t('stage1Name', lang), description: t('stage1Description', lang) })
    const stage1Start = Date.now()

    // The idea and an edited rules text (context_prompt) pass the same gate (issue 10). The
    // term filter answers before the queue, so a refused text never waits in line.
    const texts: Array<[string, 'input' | 'context_prompt']> = [[req.inputText, 'input'], ...(req.contextPrompt === undefined ? [] : [[req.contextPrompt, 'context_prompt'] as [string, 'context_prompt']])]
    for (const [text, what] of texts) {
      const refusal = termCheck(text, req.safetyLevel, lang).refusal
      if (refusal !== undefined) {
        startRecord()
        rec.record('safety', { stage: 1, text: what, blocked: true, category: refusal.category, terms: refusal.terms })
        return await blocked(sink, scope, refusal, log)
      }
    }

    let tickInFlight = false
    const slot = await scope.acquire(signal, (w) => {
      // Not awaited, so one slow reader cannot hold up the shared timer; and skipped
      // while the previous tick still waits on that reader, since the next one replaces it.
      if (tickInFlight) return
      tickInFlight = true
      sink.send('queue_status', {
        status: 'waiting', message: t('waiting', lang, { s: Math.round(w.waitMs / 1000) }), run_id: runId, wait_time_ms: w.waitMs, position: w.position, queue_length: w.queueLength
      }).catch(() => {}).finally(() => { tickInFlight = false })
    })
    startRecord()
    await sink.send('queue_status', { status: 'acquired', message: t('acquired', lang), run_id: runId, wait_time_ms: slot.waitedMs })

    // The model's check in context: the same Stage 1 as every other route (it records itself).
    rec.state(1, 'safety')
    const o: RunOptions = { runId, safetyLevel: req.safetyLevel, executionMode: req.executionMode, lang, signal, log, client: req.client }
    try {
      for (const [text, what] of texts) await stage1(deps, o, text, rec, what)
    } catch (err) {
      if (err instanceof BlockedError) return await blocked(sink, scope, err.refusal, log)
      throw err
    }
    // The text passed on is the student's own, never the safety model's echo of it.
    rec.record('stage1_output', req.inputText)
    await sink.send('stage_complete', { stage: 1, text: req.inputText, duration_ms: Date.now() - stage1Start })

    await sink.send('stage_start', { stage: 2, name: t('stage2Name', lang), description: t('stage2Description', lang) })
    rec.state(2, 'interception')
    const stage2Start = Date.now()
    // The whole text so far only when asked (api.md §1); the final text comes from the result.
    const wantsAll = req.accumulated === true
    let accumulated = ''
    let count = 0
    const frame = sink.frame
    const onPiece = (piece: string): void | Promise<void> => {
      count++
      if (wantsAll) accumulated += piece
      if (frame !== undefined) return frame(chunkFrame(piece, count, wantsAll ? accumulated : undefined))
      return sink.send('chunk', wantsAll ? { stage: 2, text_chunk: piece, chunk_count: count, accumulated } : { stage: 2, text_chunk: piece, chunk_count: count })
    }
    // A picture config has no Stage 2: the student's checked text is the result, as one piece.
    const result = deps.catalog.skipsStage2(req.config)
      ? await Promise.resolve(onPiece(req.inputText)).then(() => ({ text: req.inputText, model: 'none', chunks: 1 }))
      : await interception(deps, { config: req.config, input: req.inputText, contextPrompt: req.contextPrompt, lang, signal, log, onPiece })
    rec.record('interception', result.text, { model: result.model, chunks: result.chunks })
    // The record is complete on disk before the client hears `complete`: a stage3-4 that
    // continues this run at once finds every entity of it.
    await scope.end('done')
    await sink.send('complete', {
      stage: 2, final_text: result.text, char_count: result.text.length, chunk_count: count, run_id: runId, duration_ms: Date.now() - stage2Start, model: result.model
    })
    log.info({ chunks: count, chars: result.text.length }, 'run completed')
    return { status: 'completed' }
  } catch (err) {
    const e = toAppError(err)
    const how = endOf(e, signal)
    await scope.end(how, e)
    if (how === 'aborted') {
      log.info({ reason: e.code }, 'run aborted: client left')
      return { status: 'aborted', code: 'ABORTED' }
    }
    if (e.code === 'INTERNAL_ERROR') log.warn({ err }, 'run failed')
    else log.info({ code: e.code, detail: e.message }, 'run failed')
    await sink.send('error', { message: userMessage(e, lang), run_id: runId, code: e.code }).catch(() => {})
    return { status: 'error', code: e.code }
  } finally {
    scope.releaseSlot()
  }
}

async function blocked (sink: EventSink, scope: RunScope, r: Refusal, log: Logger): Promise<RunOutcome> {
  log.info({ category: r.category }, 'stage 1 blocked the input')
  await scope.end('blocked')
  await sink.send('blocked', { stage: 1, reason: r.reason, message: r.message, run_id: scope.info.runId, code: 'BLOCKED', category: r.category, terms: r.terms })
  return { status: 'blocked', code: 'BLOCKED' }
}
