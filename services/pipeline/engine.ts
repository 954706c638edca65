import type { Lang } from '../i18n.js'
import type { Catalog, CatalogConfig } from '../catalog/catalog.js'
import type { QueueClient } from '../slot-queue.js'
import type { SafetyLevel } from '../safety/term-filter.js'
import { AppError } from '../errors.js'
import type { Logger, PipelineDeps } from './deps.js'
import { inRun, type RunInfo } from './lifecycle.js'
import { mediaStages, stage1, textStages, type MediaOutput, type RunOptions, type Stage2Outcome } from './json-run.js'
import { optimization, resolveOutput, type OutputTarget } from './steps.js'
import { requiredPictures } from '../media/workflow.js'
import { echo } from '../i18n.js'
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
  /** Upload tokens of the student's pictures, for image-to-image / -video and multi-image outputs. */
  images: string[]
}

export interface ExecuteResult {
  text: Stage2Outcome
  media: MediaOutput | undefined
  /** Every output of Stage 4 (several when the workflow saves several files). */
  outputs: MediaOutput[]
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
    const images = await this.#images(req.images, target, req.client?.browser)
    // A config whose pipeline skips Stage 2 (the workshop's picture configs) passes the text on as it is.
    const given = req.given ?? (this.deps.catalog.skipsStage2(req.config) ? req.inputText : undefined)
    const o: RunOptions = { ...req, signal, log }
    const info = this.#info(req, req.config.id, target === undefined ? ['interception'] : ['interception', target.mediaType], (rec) => {
      rec.record('input', req.inputText)
      rec.record('config_used', { config: req.config.id, pipeline: req.config.pipeline, output_config: target?.config.id ?? null })
      if (req.contextPrompt !== undefined) rec.record(`context_prompt_${req.lang}`, req.contextPrompt)
    })
    return await inRun(this.deps, info, signal, log, async (scope) => {
      await scope.start()
      const slot = await scope.acquire(signal)
      const rec = scope.rec
      const text = await textStages(this.deps, o, { contextLang: req.contextLang, config: req.config, inputText: req.inputText, contextPrompt: req.contextPrompt, target, given, givenIsOptimized: req.givenIsOptimized, rec })
      const steps = ['stage1', ...(given === undefined ? ['stage2'] : []), ...(text.optimizationApplied ? ['optimization'] : [])]
      if (target === undefined) return { text, media: undefined, outputs: [], stepsCompleted: steps, executionMs: Date.now() - started }
      const m = await mediaStages(this.deps, o, { text: text.optimized, target, seed: req.seed, images, rec, releaseModelSlot: () => slot.release() })
      steps.push('stage3')
      if (m.media.status === 'success') steps.push('stage4')
      else scope.outcome = m.media.status
      return { text, media: m.media, outputs: m.outputs, stepsCompleted: steps, executionMs: Date.now() - started }
    })
  }

  /** `POST /pipeline/stage2`: Stage 1, Stage 2 and the optimization for the output. */
  async stage2 (req: RunBase & { config: CatalogConfig, inputText: string, contextPrompt: string | undefined, outputConfig: string | undefined }, signal: AbortSignal, log: Logger): Promise<Stage2Outcome> {
    const target = resolveOutput(this.deps, undefined, req.outputConfig)
    const o: RunOptions = { ...req, signal, log }
    return await inRun(this.deps, this.#info(req, req.config.id, ['interception'], (rec) => rec.record('input', req.inputText)), signal, log, async (scope) => {
      await scope.start()
      await scope.acquire(signal)
      return await textStages(this.deps, o, { config: req.config, inputText: req.inputText, contextPrompt: req.contextPrompt, target, given: undefined, givenIsOptimized: false, rec: scope.rec })
    })
  }

  /** `POST /pipeline/stage3-4`: Stage 3 on a Stage 2 text, then Stage 4; continues the client's run when it names one. */
  async stage34 (req: RunBase & { text: string, outputConfig: string, seed: number | undefined, images: string[], onStart?: (runId: string) => void, onStage3?: (s: { safe: boolean, translation: string }) => void }, signal: AbortSignal, log: Logger): Promise<{ runId: string, media: MediaOutput, outputs: MediaOutput[], stage3: unknown, stage3Ms: number, stage4Ms: number }> {
    const target = resolveOutput(this.deps, undefined, req.outputConfig)
    if (target === undefined) throw new Error('unreachable: an explicit output config always resolves or throws')
    const images = await this.#images(req.images, target, req.client?.browser)
    return await inRun(this.deps, this.#info(req, target.config.id, [target.mediaType]), signal, log, async (scope) => {
      await scope.start()
      // The run's id: the continued run's, or the fresh one; the caller learns which.
      req.onStart?.(scope.runId)
      const o: RunOptions = { ...req, runId: scope.runId, signal, log }
      scope.rec.record('interception', req.text)
      const slot = await scope.acquire(signal)
      // The client brings this text: it gets the full Stage 1 check before Stage 3.
      await stage1(this.deps, o, req.text, scope.rec, 'given')
      const m = await mediaStages(this.deps, o, { text: req.text, target, seed: req.seed, images, rec: scope.rec, releaseModelSlot: () => slot.release(), ...(req.onStage3 === undefined ? {} : { onStage3: req.onStage3 }) })
      if (m.media.status !== 'success') scope.outcome = m.media.status
      return { runId: scope.runId, ...m }
    })
  }

  /**
   * `POST /pipeline/optimize` (and the workshop app's streamed one): the optimization call, in
   * a model slot and a recorded run. The text comes from the client, so it passes Stage 1 first.
   */
  async optimize (req: RunBase & { text: string, outputConfig: string }, signal: AbortSignal, log: Logger): Promise<{ applied: boolean, text: string }> {
    const target = resolveOutput(this.deps, undefined, req.outputConfig)
    if (target?.chunk.meta?.optimization_instruction === undefined) return { applied: false, text: req.text }
    const o: RunOptions = { ...req, signal, log }
    return await inRun(this.deps, this.#info(req, target.config.id, ['optimization'], (rec) => rec.record('input', req.text)), signal, log, async (scope) => {
      await scope.start()
      await scope.acquire(signal)
      await stage1(this.deps, o, req.text, scope.rec, 'given')
      const r = await optimization(this.deps, { target, text: req.text, signal })
      scope.rec.record('optimization', r.text)
      return r
    })
  }

  /** The output chunk's optimization instruction and duration estimate (api.md §3). */
  optimizeMeta (outputConfig: string): { instruction: string, seconds: string } {
    const target = resolveOutput(this.deps, undefined, outputConfig)
    const meta = target?.chunk.meta
    return { instruction: meta?.optimization_instruction ?? '', seconds: String(meta?.estimated_duration_seconds ?? '30') }
  }

  /**
   * The student's pictures, read before any work: an unknown upload, or too few for the
   * output's workflow, is the client's error, answered before a model is asked.
   */
  async #images (tokens: string[], target: OutputTarget | undefined, owner: string | undefined): Promise<Array<{ data: Buffer, filename: string }>> {
    const out = []
    for (const token of tokens) {
      const image = await this.deps.readUpload(token, owner)
      if (image === undefined) throw new AppError('BAD_REQUEST', `Unknown picture "${echo(token.slice(0, 60))}": send the image_id that POST /api/media/upload/image answered`, 400)
      out.push(image)
    }
    const needed = target === undefined ? 0 : requiredPictures(target.chunk)
    if (out.length < needed) throw new AppError('BAD_REQUEST', `${target?.config.id ?? 'This output'} needs ${needed} picture(s): upload them and send their image_id as input_image (or input_image1..3)`, 400)
    return out
  }

  #info (req: RunBase, configName: string, expected: string[], first?: RunInfo['first']): RunInfo {
    return { runId: req.runId, configName, executionMode: req.executionMode, safetyLevel: req.safetyLevel, expected, client: req.client, continues: req.continues, ...(first === undefined ? {} : { first }) }
  }
}
