import { AppError } from '../errors.js'
import type { Lang } from '../i18n.js'
import type { CatalogConfig } from '../catalog/catalog.js'
import type { SafetyLevel } from '../safety/term-filter.js'
import { termCheck, type Refusal } from '../stages/stage1.js'
import type { Logger, PipelineDeps } from './deps.js'
import { RunRecorder } from './recorder.js'
import { chooseSeed, inputSafety, interception, media, optimization, preOutputSafety, type OutputTarget } from './steps.js'
import type { QueueClient } from '../slot-queue.js'

/** A refusal by Stage 1 or Stage 3: routes turn it into their 403 envelope. */
export class BlockedError extends AppError {
  constructor (readonly stage: 1 | 3, readonly refusal: Refusal) {
    super('BLOCKED', refusal.message, 403, { stage, category: refusal.category, terms: refusal.terms })
    this.name = 'BlockedError'
  }
}

export interface RunOptions {
  runId: string
  /** Whose run (fair queue bucket); default: the anonymous bucket. */
  client?: QueueClient | undefined
  safetyLevel: SafetyLevel
  executionMode: string
  lang: Lang
  signal: AbortSignal
  log: Logger
}

export type MediaOutput =
  | { config: string, status: 'success', run_id: string, output: string, media_type: string, media_stored: true, execution_time: number, metadata: Record<string, unknown>, index?: number }
  | { config: string, status: 'blocked', reason: string, media_type: string, safety_level: string, code: 'BLOCKED', message: string }
  | { config: string, status: 'error', media_type: string, error: string, code: string }

export interface Stage2Outcome { interception: string, optimized: string, optimizationApplied: boolean, model: string | undefined, stage1Ms: number, stage2Ms: number }

/**
 * The model part of a run, in one slot: Stage 1 (unless the text came from Stage 2 already),
 * Stage 2 (unless given), the optimization for the output. Throws BlockedError on a refusal.
 */
export async function textStages (
  deps: PipelineDeps,
  o: RunOptions,
  a: { config: CatalogConfig, inputText: string, contextPrompt: string | undefined, target: OutputTarget | undefined, given: string | undefined, givenIsOptimized: boolean, rec: RunRecorder, contextLang?: Lang }
): Promise<Stage2Outcome> {
  const t0 = Date.now()
  // One gate for every text that reaches a model as instructions: the idea, an edited rules
  // text, and a Stage 2 text the client brings (no checked model produced it).
  await stage1(deps, o, a.inputText, a.rec, 'input')
  if (a.contextPrompt !== undefined) await stage1(deps, o, a.contextPrompt, a.rec, 'context_prompt')
  if (a.given !== undefined && a.given !== a.inputText) await stage1(deps, o, a.given, a.rec, 'given')
  a.rec.record('stage1_output', a.inputText)
  const t1 = Date.now()
  let text = a.given
  let model: string | undefined
  if (text === undefined) {
    a.rec.state(2, 'interception')
    // The config's context in the language asked for (context_language); messages stay in o.lang.
    const result = await interception(deps, { config: a.config, input: a.inputText, contextPrompt: a.contextPrompt, lang: a.contextLang ?? o.lang, signal: o.signal, log: o.log })
    text = result.text
    model = result.model
    a.rec.record('interception', text, { model })
  }
  const opt = a.givenIsOptimized ? { applied: false, text } : await optimization(deps, { target: a.target, text, signal: o.signal })
  if (opt.applied) a.rec.record('optimization', opt.text)
  return { interception: text, optimized: opt.text, optimizationApplied: opt.applied, model, stage1Ms: t1 - t0, stage2Ms: Date.now() - t1 }
}

/**
 * Stage 1 on one text (`what` names it in the record): the fast filter, then the model's
 * context check at the run's level. Throws BlockedError.
 */
export async function stage1 (deps: PipelineDeps, o: RunOptions, text: string, rec: RunRecorder, what: 'input' | 'context_prompt' | 'given' = 'input'): Promise<void> {
  const terms = termCheck(text, o.safetyLevel, o.lang)
  if (terms.refusal !== undefined) {
    rec.record('safety', { stage: 1, text: what, blocked: true, category: terms.refusal.category, terms: terms.refusal.terms })
    throw new BlockedError(1, terms.refusal)
  }
  if (o.safetyLevel === 'off') return
  const check = await inputSafety(deps, { text, level: o.safetyLevel, lang: o.lang, hits: terms.hits, signal: o.signal })
  rec.record('safety', { stage: 1, text: what, hits: terms.hits, checked: check.checked, refusal: check.refusal ?? null, warning: check.warning ?? null })
  if (check.warning !== undefined) o.log.warn({ warning: check.warning }, 'stage 1 continued without the context check')
  if (check.refusal !== undefined) throw new BlockedError(1, check.refusal)
}

/**
 * Stage 3 (in the caller's model slot) and Stage 4 (in a media slot). A Stage 3 refusal is
 * not an error: it is the `blocked` media output, as api.md describes.
 */
export async function mediaStages (
  deps: PipelineDeps,
  o: RunOptions,
  a: { text: string, target: OutputTarget, seed: number | undefined, images: Array<{ data: Buffer, filename: string }>, rec: RunRecorder, releaseModelSlot: () => void, onStage3?: (s: { safe: boolean, translation: string }) => void }
): Promise<{ media: MediaOutput, outputs: MediaOutput[], stage3Ms: number, stage4Ms: number, stage3: unknown }> {
  const t0 = Date.now()
  a.rec.state(3, 'pre_output_safety')
  const s3 = await preOutputSafety(deps, { text: a.text, level: o.safetyLevel, lang: o.lang, mediaType: a.target.mediaType, signal: o.signal })
  a.rec.record('safety_pre_output', { translation: s3.translation, hits: s3.hits, checked: s3.checked, positive_prompt: s3.positive ?? null, negative_prompt: s3.negative ?? null, refusal: s3.refusal ?? null })
  a.releaseModelSlot()
  a.onStage3?.({ safe: s3.refusal === undefined, translation: s3.translation })
  const stage3Ms = Date.now() - t0
  const stage3 = { translation: s3.translation, positive_prompt: s3.positive, negative_prompt: s3.negative, safe: s3.refusal === undefined }
  if (s3.refusal !== undefined) {
    return {
      media: { config: a.target.config.id, status: 'blocked', reason: s3.refusal.reason, message: s3.refusal.message, media_type: a.target.mediaType, safety_level: o.safetyLevel, code: 'BLOCKED' },
      outputs: [],
      stage3Ms,
      stage4Ms: 0,
      stage3
    }
  }
  const t1 = Date.now()
  a.rec.state(4, 'media')
  try {
    const out = await media(deps, { runId: o.runId, target: a.target, prompt: s3.positive, negative: s3.negative, seed: chooseSeed(a.seed), images: a.images, signal: o.signal, client: o.client })
    const executionTime = (Date.now() - t1) / 1000
    const files = out.entities.map((e) => `/api/pipeline/${o.runId}/file/${e.filename}`)
    // One output per stored file; its URL counts files of its own kind (`/api/media/video/<run>/1`).
    const seen: Record<string, number> = {}
    const outputs: MediaOutput[] = out.entities.map((e) => {
      const kind = String(e.metadata?.media_type ?? a.target.mediaType)
      const index = seen[kind] ?? 0
      seen[kind] = index + 1
      return {
        config: a.target.config.id,
        status: 'success',
        run_id: o.runId,
        // The sketch is its own text: the workshop's app shows the code itself.
        output: kind === 'code' ? s3.positive : `/api/media/${kind}/${o.runId}${index === 0 ? '' : `/${index}`}`,
        media_type: kind,
        media_stored: true,
        index,
        execution_time: executionTime,
        metadata: { seed: out.seed, files, filename: e.filename, positive_prompt: s3.positive, negative_prompt: s3.negative ?? null, ...out.metadata }
      }
    })
    const first = outputs[0]
    if (first === undefined) throw new AppError('UPSTREAM_ERROR', 'The media backend produced no file', 502)
    return { media: first, outputs, stage3Ms, stage4Ms: Date.now() - t1, stage3 }
  } catch (err) {
    if (o.signal.aborted) throw err
    const e = err instanceof AppError ? err : new AppError('UPSTREAM_ERROR', String((err as Error).message ?? err), 502)
    o.log.info({ code: e.code, detail: e.message }, 'stage 4 failed')
    a.rec.record('error', { stage: 4, code: e.code, message: e.message })
    return { media: { config: a.target.config.id, status: 'error', media_type: a.target.mediaType, error: e.message, code: e.code }, outputs: [], stage3Ms, stage4Ms: Date.now() - t1, stage3 }
  }
}
