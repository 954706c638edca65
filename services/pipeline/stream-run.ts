import { toAppError } from '../errors.js'
import { t, type Lang } from '../i18n.js'
import type { CatalogConfig } from '../catalog/catalog.js'
import type { Slot } from '../slot-queue.js'
import type { SafetyLevel } from '../safety/term-filter.js'
import { termCheck, type Refusal } from '../stages/stage1.js'
import { userMessage } from './error-messages.js'
import type { Logger, PipelineDeps } from './deps.js'
import { RunRecorder } from './recorder.js'
import { inputSafety, interception } from './steps.js'

/** Where a run's events go. `send` resolves when the bytes are handed on (backpressure). */
export interface EventSink {
  send: (event: string, data: Record<string, unknown>) => Promise<void>
}

export interface StreamRunRequest {
  runId: string
  config: CatalogConfig
  inputText: string
  contextPrompt: string | undefined
  safetyLevel: SafetyLevel
  executionMode: string
  lang: Lang
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
  const rec = new RunRecorder(deps.store, runId, log)
  // The record starts when the run does work (its slot, a refusal, its end): thousands of
  // runs waiting in line then cost no disk writes while they wait.
  let recording = false
  const startRecord = (): void => {
    if (recording) return
    recording = true
    deps.store.create(runId, { config_name: req.config.id, execution_mode: req.executionMode, safety_level: req.safetyLevel, expected_outputs: ['interception'] })
      .catch((err: unknown) => log.warn({ err }, 'could not create the run record'))
    rec.record('input', req.inputText)
    rec.record('config_used', { config: req.config.id, pipeline: req.config.pipeline, streaming: true })
    if (req.contextPrompt !== undefined) rec.record(`context_prompt_${lang}`, req.contextPrompt)
  }
  let slot: Slot | undefined
  try {
    await sink.send('connected', { run_id: runId, schema: req.config.id, stages: 2 })
    await sink.send('stage_start', { stage: 1, name: t('stage1Name', lang), description: t('stage1Description', lang) })
    const stage1Start = Date.now()

    const terms = termCheck(req.inputText, req.safetyLevel, lang)
    if (terms.refusal !== undefined) {
      startRecord()
      return await blocked(sink, rec, runId, terms.refusal, log)
    }

    let tickInFlight = false
    slot = await deps.queue.acquire(runId, {
      signal,
      onWait: (w) => {
        // Not awaited, so one slow reader cannot hold up the shared timer; and skipped
        // while the previous tick still waits on that reader, since the next one replaces it.
        if (tickInFlight) return
        tickInFlight = true
        sink.send('queue_status', {
          status: 'waiting', message: t('waiting', lang, { s: Math.round(w.waitMs / 1000) }), run_id: runId, wait_time_ms: w.waitMs, position: w.position, queue_length: w.queueLength
        }).catch(() => {}).finally(() => { tickInFlight = false })
      }
    })
    startRecord()
    await sink.send('queue_status', { status: 'acquired', message: t('acquired', lang), run_id: runId, wait_time_ms: slot.waitedMs })

    if (req.safetyLevel !== 'off') {
      rec.state(1, 'safety')
      const check = await inputSafety(deps, { text: req.inputText, level: req.safetyLevel, lang, hits: terms.hits, signal })
      rec.record('safety', { stage: 1, hits: terms.hits, checked: check.checked, refusal: check.refusal ?? null, warning: check.warning ?? null })
      if (check.warning !== undefined) log.warn({ warning: check.warning }, 'stage 1 continued without the context check')
      if (check.refusal !== undefined) return await blocked(sink, rec, runId, check.refusal, log)
    }
    // The text passed on is the student's own, never the safety model's echo of it.
    rec.record('stage1_output', req.inputText)
    await sink.send('stage_complete', { stage: 1, text: req.inputText, duration_ms: Date.now() - stage1Start })

    await sink.send('stage_start', { stage: 2, name: t('stage2Name', lang), description: t('stage2Description', lang) })
    rec.state(2, 'interception')
    const stage2Start = Date.now()
    let accumulated = ''
    let count = 0
    const result = await interception(deps, {
      config: req.config,
      input: req.inputText,
      contextPrompt: req.contextPrompt,
      lang,
      signal,
      log,
      onPiece: async (piece) => {
        accumulated += piece
        count++
        await sink.send('chunk', { stage: 2, text_chunk: piece, accumulated, chunk_count: count })
      }
    })
    slot.release()
    rec.record('interception', result.text, { model: result.model, chunks: result.chunks })
    rec.state(2, 'done')
    await sink.send('complete', {
      stage: 2, final_text: accumulated, char_count: accumulated.length, chunk_count: count, run_id: runId, duration_ms: Date.now() - stage2Start, model: result.model
    })
    log.info({ chunks: count, chars: accumulated.length }, 'run completed')
    return { status: 'completed' }
  } catch (err) {
    const e = toAppError(err)
    startRecord()
    rec.record('error', { code: e.code, message: e.message })
    // Shutdown and a teacher's Stop end the run from the server side: the client is still
    // there and hears why in an `error` event.
    const clientLeft = signal.aborted && e.code !== 'SHUTTING_DOWN' && e.code !== 'STOPPED'
    rec.ended(clientLeft ? 'aborted' : 'error')
    if (clientLeft) {
      log.info({ reason: e.code }, 'run aborted: client left')
      return { status: 'aborted', code: 'ABORTED' }
    }
    if (e.code === 'INTERNAL_ERROR') log.warn({ err }, 'run failed')
    else log.info({ code: e.code, detail: e.message }, 'run failed')
    await sink.send('error', { message: userMessage(e, lang), run_id: runId, code: e.code }).catch(() => {})
    return { status: 'error', code: e.code }
  } finally {
    slot?.release()
    await deps.store.finish(runId)
  }
}

async function blocked (sink: EventSink, rec: RunRecorder, runId: string, r: Refusal, log: Logger): Promise<RunOutcome> {
  log.info({ category: r.category }, 'stage 1 blocked the input')
  rec.ended('blocked')
  rec.record('safety', { stage: 1, blocked: true, category: r.category, terms: r.terms, reason: r.reason })
  await sink.send('blocked', { stage: 1, reason: r.reason, message: r.message, run_id: runId, code: 'BLOCKED', category: r.category, terms: r.terms })
  return { status: 'blocked', code: 'BLOCKED' }
}
