import { randomInt } from 'node:crypto'
import { AppError } from '../errors.js'
import type { Lang } from '../i18n.js'
import type { CatalogConfig } from '../catalog/catalog.js'
import type { Chunk } from '../catalog/schemas.js'
import { templateText } from '../catalog/placeholders.js'
import type { SafetyLevel, TermHit } from '../safety/term-filter.js'
import { contextCheck, type ContextCheckResult } from '../stages/stage1.js'
import { interceptionMessages, recursionLanguages, withTargetLanguage } from '../stages/stage2.js'
import { optimizationMessages } from '../stages/optimize.js'
import { preOutput, type Stage3Result } from '../stages/stage3.js'
import { ollamaOptions, resolveModel } from '../stages/models.js'
import type { EntityRecord } from '../run-store.js'
import type { Logger, PipelineDeps } from './deps.js'
import type { QueueClient } from '../slot-queue.js'

/** Built-in Stage 1 prompt for catalogs that bring no `pre_interception` system config. */
const FALLBACK_SAFETY_INSTRUCTION = 'You check whether a text a student typed may be turned into an image for the audience described below. ' +
  'Judge the meaning in context, not single words. Also refuse personal data. Answer as JSON.'
const FALLBACK_SAFETY_TEMPLATE = '{{TASK_INSTRUCTION}}\n\nAudience:\n{{CONTEXT}}\n\nWord-filter hints (may be false alarms):\n{{PREVIOUS_OUTPUT}}\n\nText to judge:\n{{INPUT_TEXT}}'
const FALLBACK_TRANSLATE_TEMPLATE = 'Translate the following text into {{TARGET_LANGUAGE}}. If it already is in {{TARGET_LANGUAGE}}, return it unchanged. Answer with the translation only.\n\nText:\n{{INPUT_TEXT}}'

/** A chunk's template as one text, or undefined when it has none. */
function textOf (chunk: Chunk | undefined): string | undefined {
  const text = templateText(chunk?.template)
  return text === '' ? undefined : text
}

/** Stage 1 (b), with the prompt of the catalog's `pre_interception` system config. */
export async function inputSafety (deps: PipelineDeps, a: { text: string, level: SafetyLevel, lang: Lang, hits: TermHit[], signal: AbortSignal }): Promise<ContextCheckResult> {
  const { catalog, models } = deps
  const system = catalog.systemConfig('pre_interception')
  const chunk = system === undefined ? undefined : catalog.firstChunk(system)
  return await contextCheck({ text: a.text, level: a.level, lang: a.lang, hits: a.hits, signal: a.signal }, {
    llm: deps.llm,
    model: resolveModel(models, chunk?.model, 'STAGE1_MODEL', system?.meta?.model_override),
    instruction: system === undefined ? FALLBACK_SAFETY_INSTRUCTION : catalog.contextOf(system, 'en'),
    template: textOf(chunk) ?? FALLBACK_SAFETY_TEMPLATE,
    request: ollamaOptions(catalog, system, chunk)
  })
}

export interface InterceptionResult { text: string, model: string, chunks: number }

/**
 * Stage 2: the config's prompt through the model. A recursive config (the telephone game)
 * passes the text through its languages; only the last step is streamed to `onPiece`.
 */
export async function interception (
  deps: PipelineDeps,
  a: { config: CatalogConfig, input: string, contextPrompt: string | undefined, lang: Lang, signal: AbortSignal, log: Logger, onPiece?: (piece: string) => void | Promise<void> }
): Promise<InterceptionResult> {
  const { catalog, models, llm } = deps
  const chunk = catalog.firstChunk(a.config)
  const model = resolveModel(models, chunk?.model, 'STAGE2_INTERCEPTION_MODEL', a.config.meta?.model_override)
  const request = ollamaOptions(catalog, a.config, chunk)
  const context = a.contextPrompt ?? catalog.contextOf(a.config, a.lang)
  const languages = recursionLanguages(a.config.parameters, a.lang)
  let text = a.input
  for (const language of languages.slice(0, -1)) {
    const step = interceptionMessages({ template: textOf(chunk), context: withTargetLanguage(context, language), input: text })
    text = (await llm.chat({ model, messages: step, ...request }, a.signal)).text
    a.log.debug({ language, text }, 'telephone step')
  }
  const last = languages.at(-1)
  const messages = interceptionMessages({ template: textOf(chunk), context: last === undefined ? context : withTargetLanguage(context, last), input: text })
  a.log.debug({ messages }, 'stage 2 prompt')
  let out = ''
  let chunks = 0
  const onPiece = a.onPiece
  if (llm.chatPush !== undefined) {
    // Each piece is handed on from the body's data callback; only a full socket makes it wait.
    const stats = await llm.chatPush({ model, messages, ...request }, a.signal, (piece) => {
      out += piece
      chunks++
      return onPiece?.(piece)
    })
    return { text: out, model: stats.model ?? model, chunks }
  }
  const stream = llm.chatStream({ model, messages, ...request }, a.signal)
  for await (const piece of stream) {
    out += piece
    chunks++
    await onPiece?.(piece)
  }
  return { text: out, model: stream.stats?.model ?? model, chunks }
}

export interface OutputTarget { config: CatalogConfig, chunk: Chunk, mediaType: string, backend: string }

/**
 * The output a run produces: the requested output config, else the interception config's
 * first `output_configs` entry, else its `default_output` kind. Undefined for text-only configs.
 */
export function resolveOutput (deps: PipelineDeps, interceptionConfig: CatalogConfig | undefined, requested: string | undefined): OutputTarget | undefined {
  const { catalog } = deps
  let id = requested
  if (id === undefined && interceptionConfig !== undefined) {
    const prefs = interceptionConfig.media_preferences
    id = prefs?.output_configs?.[0] ?? DEFAULT_OUTPUTS[prefs?.default_output ?? '']
  }
  if (id === undefined) return undefined
  const config = catalog.outputConfig(id)
  const chunk = config === undefined ? undefined : catalog.outputChunk(config)
  if (config === undefined || chunk === undefined) {
    const why = catalog.unavailableReason(id)
    if (why !== undefined) throw new AppError('OUTPUT_UNAVAILABLE', `The output "${id}" cannot run on this server: ${why}`, 409)
    throw new AppError('UNKNOWN_SCHEMA', `Unknown output config: ${id}`, 404)
  }
  return { config, chunk, mediaType: mediaTypeOf(chunk), backend: BACKEND_ALIASES[chunk.backend_type ?? 'comfyui'] ?? chunk.backend_type ?? 'comfyui' }
}

/** The media kind of an output chunk; a p5.js sketch is `code` (the workshop's word), whatever older files say. */
export function mediaTypeOf (chunk: Chunk): string {
  const type = chunk.media_type ?? chunk.meta?.media_type ?? 'image'
  return type === 'p5' ? 'code' : type
}

/** The workshop's backend names for what this server runs under another name. */
const BACKEND_ALIASES: Record<string, string> = { vue_p5js: 'code', comfyui_legacy: 'comfyui' }

const DEFAULT_OUTPUTS: Record<string, string> = { image: 'sd35_large', code: 'p5js_code' }

/** The optimization step: only when the output chunk carries an instruction. */
export async function optimization (deps: PipelineDeps, a: { target: OutputTarget | undefined, text: string, signal: AbortSignal }): Promise<{ applied: boolean, text: string }> {
  const instruction = a.target?.chunk.meta?.optimization_instruction
  if (instruction === undefined || instruction.trim() === '') return { applied: false, text: a.text }
  const model = resolveModel(deps.models, undefined, 'STAGE2_INTERCEPTION_MODEL')
  const { text } = await deps.llm.chat({ model, messages: optimizationMessages(instruction, a.text), options: { temperature: 0.3 } }, a.signal)
  return { applied: true, text: text.trim() }
}

/** Stage 3 with the prompts of the catalog's `pre_output` system config. */
export async function preOutputSafety (deps: PipelineDeps, a: { text: string, level: SafetyLevel, lang: Lang, mediaType: string, signal: AbortSignal }): Promise<Stage3Result> {
  const { catalog, models } = deps
  const system = catalog.systemConfig('pre_output')
  const pipeline = system === undefined ? undefined : catalog.pipelines.get(system.pipeline)
  const [translate, check] = (pipeline?.chunks ?? []).map((name) => catalog.chunks.get(name))
  return await preOutput(a, deps.llm, {
    model: resolveModel(models, translate?.model, 'STAGE3_MODEL', system?.meta?.model_override),
    translateTemplate: textOf(translate) ?? FALLBACK_TRANSLATE_TEMPLATE,
    checkTemplate: textOf(check) ?? FALLBACK_SAFETY_TEMPLATE,
    instruction: system === undefined ? FALLBACK_SAFETY_INSTRUCTION : catalog.contextOf(system, 'en'),
    request: ollamaOptions(catalog, system, translate)
  })
}

export interface MediaOutcome { entities: EntityRecord[], seed: number, metadata: Record<string, unknown> }

/** A request's seed wins; otherwise a fresh random one, recorded so the result can be redone. */
export function chooseSeed (requested: number | undefined): number {
  return requested ?? randomInt(0, 2 ** 32)
}

/** Stage 4 on the output's backend, in a media slot; every file is stored with the run. */
export async function media (deps: PipelineDeps, a: { runId: string, target: OutputTarget, prompt: string, negative: string | undefined, seed: number, images: Array<{ data: Buffer, filename: string }>, signal: AbortSignal, client?: QueueClient | undefined }): Promise<MediaOutcome> {
  const backend = deps.backends[a.target.backend]
  if (backend === undefined) throw new AppError('UPSTREAM_UNAVAILABLE', `No media backend "${a.target.backend}" is configured`, 502)
  const slot = await deps.mediaQueue.acquire(a.runId, { signal: a.signal, ...(a.client === undefined ? {} : { client: a.client }) })
  try {
    const result = await backend.generate({ chunk: a.target.chunk, prompt: a.prompt, negativePrompt: a.negative, seed: a.seed, images: a.images, values: outputValues(a.target.config), signal: a.signal })
    const entities: EntityRecord[] = []
    for (const file of result.files) {
      // pipeline.md's entity names: the sketch is `p5`, media are `output_<kind>`.
      const type = file.mediaType === 'code' ? 'p5' : `output_${file.mediaType}`
      entities.push(await deps.store.record(a.runId, type, file.data, { ext: file.ext, metadata: { seed: a.seed, config: a.target.config.id, media_type: file.mediaType, ...result.metadata } }))
    }
    return { entities, seed: a.seed, metadata: result.metadata }
  } finally {
    slot.release()
  }
}

/**
 * The output config's own values for the workflow's mappings (lyrics, seconds, steps ...): its
 * `parameters`, lower-cased as the chunk's mapping keys are, without the text-model settings.
 */
function outputValues (config: CatalogConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config.parameters ?? {})) {
    if (value === null || ['output_chunk', 'seed', 'temperature', 'top_p', 'max_tokens'].includes(key.toLowerCase())) continue
    out[key.toLowerCase()] = value
  }
  return out
}
