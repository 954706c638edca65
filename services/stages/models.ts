import { AppError } from '../errors.js'
import type { ChatRequest, PieceSink, StreamStats, TokenStream } from '../ollama/client.js'
import type { Catalog, CatalogConfig } from '../catalog/catalog.js'
import type { Chunk } from '../catalog/schemas.js'

/** What the stages need of a model server; OllamaClient is one, a test double another. */
export interface ModelCaller {
  chatStream: (req: ChatRequest, signal: AbortSignal) => TokenStream
  /** The push form (the streaming hot path); a caller without it is iterated instead. */
  chatPush?: (req: ChatRequest, signal: AbortSignal, onPiece: PieceSink) => Promise<StreamStats>
  chat: (req: ChatRequest, signal: AbortSignal) => Promise<{ text: string, stats: StreamStats | undefined }>
}

/** Stage-model aliases a chunk may name instead of a model (pipeline.md). */
export interface StageModels {
  STAGE1_MODEL: string
  STAGE2_INTERCEPTION_MODEL: string
  STAGE3_MODEL: string
}

/**
 * The model for a chunk: a config's `meta.model_override` wins, then the chunk's model
 * (an alias resolves from settings). `local/` is the Ollama provider prefix and is removed;
 * other providers are not wired yet and say so.
 */
export function resolveModel (models: StageModels, chunkModel: string | undefined, fallback: keyof StageModels, override?: string | null): string {
  let name = override ?? chunkModel ?? fallback
  if (Object.hasOwn(models, name)) name = models[name as keyof StageModels]
  // An alias this server does not define (the workshop has more, e.g. STAGE2_OPTIMIZATION_MODEL)
  // is never a model name Ollama knows: the stage's own model stands in.
  if (name === '' || /^[A-Z][A-Z0-9_]*$/.test(name)) name = models[fallback]
  if (name.startsWith('local/')) return name.slice('local/'.length)
  const provider = /^([a-z][a-z0-9_-]*)\/(.+)$/.exec(name)
  if (provider !== null && ['openai', 'openrouter', 'anthropic', 'mistral', 'bedrock'].includes(provider[1] as string)) {
    throw new AppError('UPSTREAM_UNAVAILABLE', `Provider "${provider[1] as string}" is not supported; only local Ollama models are`, 502)
  }
  return name
}

/**
 * Ollama options from the chunk's, the pipeline's and the config's parameters (later wins).
 * `think` (true, false or "low"/"medium"/"high") is passed on when one of them asks; unset, the
 * client sends `think: false`.
 */
export function ollamaOptions (catalog: Catalog, config: CatalogConfig | undefined, chunk: Chunk | undefined): Pick<ChatRequest, 'options' | 'keep_alive' | 'think'> {
  const pipelineDefaults = config === undefined ? {} : catalog.pipelines.get(config.pipeline)?.defaults?.parameters ?? {}
  const merged: Record<string, unknown> = { ...chunk?.parameters, ...pipelineDefaults, ...config?.parameters }
  const options: Record<string, unknown> = {}
  for (const key of ['temperature', 'top_p', 'top_k', 'seed', 'repeat_penalty', 'num_ctx']) {
    if (typeof merged[key] === 'number') options[key] = merged[key]
  }
  if (typeof merged.max_tokens === 'number') options.num_predict = merged.max_tokens
  const keepAlive = merged.keep_alive
  const think = merged.think
  return {
    options,
    ...(typeof keepAlive === 'string' || typeof keepAlive === 'number' ? { keep_alive: keepAlive } : {}),
    ...(typeof think === 'boolean' || think === 'low' || think === 'medium' || think === 'high' ? { think } : {})
  }
}
