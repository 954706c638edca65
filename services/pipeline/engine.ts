import type { Lang } from '../i18n.js'
import type { Catalog, CatalogConfig } from '../catalog/catalog.js'
import type { QueueClient, Slot } from '../slot-queue.js'
import type { SafetyLevel } from '../safety/term-filter.js'
import type { Logger, PipelineDeps } from './deps.js'
import { RunRecorder } from './recorder.js'
import { mediaStages, textStages, type MediaOutput, type RunOptions, type Stage2Outcome } from './json-run.js'
import { optimization, resolveOutput } from './steps.js'
import { streamRun, type EventSink, type RunOutcome, type StreamRunRequest } from './stream-run.js'

export type { EventSink, RunOutcome, StreamRunRequest, MediaOutput }
export { BlockedError } from './json-run.js'

export interface RunBase {
  /** A fresh id the server made; the run's id unless it continues one (below). */
  runId: string
  /** Whose run: its queue bucket, and (browser) the owner the run store records. */
  client?: QueueClient
  /** A run id the client asked to continue: taken only if it is its own, finished run. */
  continues?: string | undefined
  safetyLevel: SafetyLevel
  executionMode: string
  lang: Lang
}

export interface ExecuteRequest extends RunBase {
  config: CatalogConfig
  inputText: string
  contextPrompt: string | undefined
  outputConfig: string | undefined
  /** A Stage 2 text the client already has: Stage 2 is skipped, the safety stages are not. */
  given: string | undefined
  /** The given text is already optimized (`optimization_result`): no second optimization. */
  givenIsOptimized: boolean
  /** Which language of the config's context Stage 2 uses (api.md §2: `context_language`). */
  contextLang: Lang
  seed: number | undefined
}

export interface ExecuteResult {
  text: Stage2Outcome
  media: MediaOutput | undefined
  stepsCompleted: string[]
  executionMs: number
}

/**
 * The stage engine: the orchestrations behind every route, framework-free. Each takes a
 * signal that the route aborts when its client leaves (or at shutdown), holds one model
 * slot from its first to its last model call, and records the run.
 */
export class PipelineEngine {
  constructor (readonly deps: PipelineDeps) {}

  get catalog (): Catalog { return this.deps.catalog }

  async stream (req: StreamRunRequest, sink: EventSink, signal: AbortSignal, log: Logger): Promise<RunOutcome> {
    return await streamRun(this.deps, req, sink, signal, log)
  }

  /** All four stages (the JSON mode of /execute). */
  async execute (req: ExecuteRequest, signal: AbortSignal, log: Logger): Promise<ExecuteResult> {
    const started = Date.now()
    const target = resolveOutput(this.deps, req.config, req.outputConfig)
    const o: RunOptions = { ...req, signal, log }
    const rec = await this.#begin(req, req.config.id, target === undefined ? ['interception'] : ['interception', target.mediaType], log)
    rec.record('input', req.inputText)
    rec.record('config_used', { config: req.config.id, pipeline: req.config.pipeline, output_config: target?.config.id ?? null })
    if (req.contextPrompt !== undefined) rec.record(`context_prompt_${req.lang}`, req.contextPrompt)
    return await this.#withSlot(o, rec, async (slot) => {
      const text = await textStages(this.deps, { ...o, lang: req.contextLang }, { config: req.config, inputText: req.inputText, contextPrompt: req.contextPrompt, target, given: req.given, givenIsOptimized: req.givenIsOptimized, rec })
      const steps = ['stage1', ...(req.given === undefined ? ['stage2'] : []), ...(text.optimizationApplied ? ['optimization'] : [])]
      if (target === undefined) return { text, media: undefined, stepsCompleted: steps, executionMs: Date.now() - started }
      const m = await mediaStages(this.deps, o, { text: text.optimized, target, seed: req.seed, rec, releaseModelSlot: () => slot.release() })
      steps.push('stage3')
      if (m.media.status === 'success') steps.push('stage4')
      return { text, media: m.media, stepsCompleted: steps, executionMs: Date.now() - started }
    })
  }

  /** `POST /pipeline/stage2`: Stage 1, Stage 2 and the optimization for the output. */
  async stage2 (req: RunBase & { config: CatalogConfig, inputText: string, contextPrompt: string | undefined, outputConfig: string | undefined }, signal: AbortSignal, log: Logger): Promise<Stage2Outcome> {
    const target = resolveOutput(this.deps, undefined, req.outputConfig)
    const o: RunOptions = { ...req, signal, log }
    const rec = await this.#begin(req, req.config.id, ['interception'], log)
    rec.record('input', req.inputText)
    return await this.#withSlot(o, rec, async () =>
      await textStages(this.deps, o, { config: req.config, inputText: req.inputText, contextPrompt: req.contextPrompt, target, given: undefined, givenIsOptimized: false, rec }))
  }

  /** `POST /pipeline/stage3-4`: Stage 3 on a Stage 2 text, then Stage 4. */
  async stage34 (req: RunBase & { text: string, outputConfig: string, seed: number | undefined }, signal: AbortSignal, log: Logger): Promise<{ runId: string, media: MediaOutput, stage3: unknown, stage3Ms: number, stage4Ms: number }> {
    const target = resolveOutput(this.deps, undefined, req.outputConfig)
    if (target === undefined) throw new Error('unreachable: an explicit output config always resolves or throws')
    const rec = await this.#begin(req, target.config.id, [target.mediaType], log)
    const o: RunOptions = { ...req, runId: rec.runId, signal, log }
    rec.record('interception', req.text)
    const result = await this.#withSlot(o, rec, async (slot) =>
      await mediaStages(this.deps, o, { text: req.text, target, seed: req.seed, rec, releaseModelSlot: () => slot.release() }))
    return { runId: rec.runId, ...result }
  }

  /** `POST /pipeline/optimize`: only the optimization call, in a model slot. */
  async optimize (req: { runId: string, text: string, outputConfig: string, client?: QueueClient }, signal: AbortSignal): Promise<{ applied: boolean, text: string }> {
    const target = resolveOutput(this.deps, undefined, req.outputConfig)
    if (target?.chunk.meta?.optimization_instruction === undefined) return { applied: false, text: req.text }
    const slot = await this.deps.queue.acquire(req.runId, { signal, ...(req.client === undefined ? {} : { client: req.client }) })
    try {
      return await optimization(this.deps, { target, text: req.text, signal })
    } finally {
      slot.release()
    }
  }

  /** The output chunk's optimization instruction and duration estimate (api.md §3). */
  optimizeMeta (outputConfig: string): { instruction: string, seconds: string } {
    const target = resolveOutput(this.deps, undefined, outputConfig)
    const meta = target?.chunk.meta
    return { instruction: meta?.optimization_instruction ?? '', seconds: String(meta?.estimated_duration_seconds ?? '30') }
  }

  async #begin (req: RunBase, configName: string, expected: string[], log: Logger): Promise<RunRecorder> {
    // A browser may continue its own finished run (stage3-4 after stage2). Anything else (an
    // unknown id, another browser's run, one in progress) gets the fresh id: nothing is revealed.
    const store = this.deps.store
    const owner = req.client?.browser ?? 'anonymous'
    if (req.continues !== undefined && await store.continueRun(req.continues, owner)) return new RunRecorder(store, req.continues, log)
    store.create(req.runId, { config_name: configName, execution_mode: req.executionMode, safety_level: req.safetyLevel, expected_outputs: expected, owner })
      .catch((err: unknown) => log.warn({ err }, 'could not create the run record'))
    return new RunRecorder(store, req.runId, log)
  }

  async #withSlot<T> (o: RunOptions, rec: RunRecorder, work: (slot: Slot) => Promise<T>): Promise<T> {
    let slot: Slot | undefined
    try {
      slot = await this.deps.queue.acquire(o.runId, { signal: o.signal, ...(o.client === undefined ? {} : { client: o.client }) })
      const result = await work(slot)
      rec.state(4, 'done')
      return result
    } catch (err) {
      const e = err as { code?: string, message?: string }
      if (e.code !== 'BLOCKED') rec.record('error', { code: e.code ?? 'INTERNAL_ERROR', message: e.message ?? String(err) })
      rec.ended(e.code === 'BLOCKED' ? 'blocked' : o.signal.aborted ? 'aborted' : 'error')
      throw err
    } finally {
      slot?.release()
      await this.deps.store.finish(o.runId)
    }
  }
}
