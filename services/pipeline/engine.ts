import { toAppError } from '../errors.js'
import { t, type Lang } from '../i18n.js'
import type { Catalog, CatalogConfig } from '../catalog/catalog.js'
import type { SlotQueue, Slot } from '../slot-queue.js'
import type { SafetyLevel } from '../safety/term-filter.js'
import { contextCheck, termCheck, type Refusal } from '../stages/stage1.js'
import { interceptionMessages, recursionLanguages, withTargetLanguage } from '../stages/stage2.js'
import { ollamaOptions, resolveModel, type ModelCaller, type StageModels } from '../stages/models.js'
import { userMessage } from './error-messages.js'

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

/** A pino-like logger that already carries the run id (the route passes a child logger). */
interface Logger {
  info: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
  debug: (obj: object, msg?: string) => void
}

export interface PipelineEngineOptions {
  catalog: Catalog
  llm: ModelCaller
  queue: SlotQueue
  models: StageModels
}

/** Built-in Stage 1 prompt for catalogs that bring no `pre_interception` system config. */
const FALLBACK_SAFETY_INSTRUCTION = 'You check whether a text a student typed may be turned into an image for the audience described below. ' +
  'Judge the meaning in context, not single words. Also refuse personal data. Answer as JSON.'
const FALLBACK_SAFETY_TEMPLATE = '{{TASK_INSTRUCTION}}\n\nAudience:\n{{CONTEXT}}\n\nWord-filter hints (may be false alarms):\n{{PREVIOUS_OUTPUT}}\n\nText to judge:\n{{INPUT_TEXT}}'

/**
 * Runs Stages 1–2 of one streaming run and reports every step to the sink. It owns no
 * HTTP: the caller hands in a sink and a signal, and aborting the signal (client gone,
 * shutdown) stops the queue wait or the model call wherever the run is.
 */
export class PipelineEngine {
  readonly #opts: PipelineEngineOptions

  constructor (opts: PipelineEngineOptions) {
    this.#opts = opts
  }

  get catalog (): Catalog { return this.#opts.catalog }

  async stream (req: StreamRunRequest, sink: EventSink, signal: AbortSignal, log: Logger): Promise<RunOutcome> {
    const { queue, catalog, models } = this.#opts
    const { runId, lang } = req
    let slot: Slot | undefined
    try {
      await sink.send('connected', { run_id: runId, schema: req.config.id, stages: 2 })
      await sink.send('stage_start', { stage: 1, name: t('stage1Name', lang), description: t('stage1Description', lang) })
      const stage1Start = Date.now()

      const terms = termCheck(req.inputText, req.safetyLevel, lang)
      if (terms.refusal !== undefined) return await this.#blocked(sink, runId, terms.refusal, log)

      let tickInFlight = false
      slot = await queue.acquire(runId, {
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
      await sink.send('queue_status', { status: 'acquired', message: t('acquired', lang), run_id: runId, wait_time_ms: slot.waitedMs })

      if (req.safetyLevel !== 'off') {
        const system = catalog.systemConfig('pre_interception')
        const chunk = system === undefined ? undefined : catalog.firstChunk(system)
        const check = await contextCheck(
          { text: req.inputText, level: req.safetyLevel, lang, hits: terms.hits, signal },
          {
            llm: this.#opts.llm,
            model: resolveModel(models, chunk?.model, 'STAGE1_MODEL', system?.meta?.model_override),
            instruction: system === undefined ? FALLBACK_SAFETY_INSTRUCTION : catalog.contextOf(system, 'en'),
            template: chunk?.template ?? FALLBACK_SAFETY_TEMPLATE,
            request: ollamaOptions(catalog, system, chunk)
          })
        if (check.warning !== undefined) log.warn({ warning: check.warning }, 'stage 1 continued without the context check')
        if (check.refusal !== undefined) return await this.#blocked(sink, runId, check.refusal, log)
      }
      // The text passed on is the student's own, never the safety model's echo of it.
      await sink.send('stage_complete', { stage: 1, text: req.inputText, duration_ms: Date.now() - stage1Start })

      await sink.send('stage_start', { stage: 2, name: t('stage2Name', lang), description: t('stage2Description', lang) })
      const stage2Start = Date.now()
      const chunk = catalog.firstChunk(req.config)
      const model = resolveModel(models, chunk?.model, 'STAGE2_INTERCEPTION_MODEL', req.config.meta?.model_override)
      const request = ollamaOptions(catalog, req.config, chunk)
      const context = req.contextPrompt ?? catalog.contextOf(req.config, lang)
      // A recursive config (the telephone game) passes the text through its languages; the
      // steps before the last are not streamed, the last one is.
      const languages = recursionLanguages(req.config.parameters, lang)
      let text = req.inputText
      for (const language of languages.slice(0, -1)) {
        const step = interceptionMessages({ template: chunk?.template, context: withTargetLanguage(context, language), input: text })
        text = (await this.#opts.llm.chat({ model, messages: step, ...request }, signal)).text
        log.debug({ language, text }, 'telephone step')
      }
      const last = languages.at(-1)
      const messages = interceptionMessages({
        template: chunk?.template,
        context: last === undefined ? context : withTargetLanguage(context, last),
        input: text
      })
      log.debug({ messages }, 'stage 2 prompt')
      const stream = this.#opts.llm.chatStream({ model, messages, ...request }, signal)
      let accumulated = ''
      let count = 0
      for await (const piece of stream) {
        accumulated += piece
        count++
        await sink.send('chunk', { stage: 2, text_chunk: piece, accumulated, chunk_count: count })
      }
      slot.release()
      await sink.send('complete', {
        stage: 2, final_text: accumulated, char_count: accumulated.length, chunk_count: count, run_id: runId, duration_ms: Date.now() - stage2Start, model: stream.stats?.model ?? model
      })
      log.info({ chunks: count, chars: accumulated.length, tokens_per_second: stream.stats?.tokens_per_second }, 'run completed')
      return { status: 'completed' }
    } catch (err) {
      const e = toAppError(err)
      if (signal.aborted && e.code !== 'SHUTTING_DOWN') {
        log.info({ reason: e.code }, 'run aborted: client left')
        return { status: 'aborted', code: 'ABORTED' }
      }
      if (e.code === 'INTERNAL_ERROR') log.warn({ err }, 'run failed')
      else log.info({ code: e.code, detail: e.message }, 'run failed')
      await sink.send('error', { message: userMessage(e, lang), run_id: runId, code: e.code }).catch(() => {})
      return { status: 'error', code: e.code }
    } finally {
      slot?.release()
    }
  }

  async #blocked (sink: EventSink, runId: string, r: Refusal, log: Logger): Promise<RunOutcome> {
    log.info({ category: r.category }, 'stage 1 blocked the input')
    await sink.send('blocked', { stage: 1, reason: r.reason, message: r.message, run_id: runId, code: 'BLOCKED', category: r.category, terms: r.terms })
    return { status: 'blocked', code: 'BLOCKED' }
  }
}
