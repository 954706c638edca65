import type { Catalog, CatalogConfig } from './catalog.js'
import type { Chunk } from './schemas.js'

/** The backends this server runs, by chunk `backend_type`. */
export interface BackendSupport {
  /** Text chunks (interception, safety, translation). */
  text: ReadonlySet<string>
  /** Output chunks (Stage 4). */
  media: ReadonlySet<string>
}

export const DEFAULT_BACKENDS: BackendSupport = {
  text: new Set(['ollama']),
  // `vue_p5js` is the workshop's name for a sketch the browser runs: our `code` backend.
  media: new Set(['comfyui', 'comfyui_legacy', 'code', 'vue_p5js'])
}

/** Backends of the workshop that need a cloud account; this server has no provider for them. */
const CLOUD = new Set(['openai', 'openrouter', 'anthropic', 'gemini', 'google', 'replicate', 'stability'])

export interface Unavailable { field: string, reason: string }

/**
 * Which configs cannot run here, and why: a pipeline or chunk that is missing or broken, a
 * backend this server lacks. What depends on ComfyUI's installed models is decided later, at
 * run time (`/api/models/availability`), since ComfyUI may come and go.
 */
export function checkAvailability (catalog: Catalog, brokenChunks: ReadonlyMap<string, string>, backends: BackendSupport = DEFAULT_BACKENDS): Map<string, Unavailable> {
  const out = new Map<string, Unavailable>()
  for (const config of catalog.configs.values()) {
    const u = configProblem(catalog, config, brokenChunks, backends)
    if (u !== undefined) out.set(config.id, u)
  }
  return out
}

function configProblem (catalog: Catalog, config: CatalogConfig, broken: ReadonlyMap<string, string>, backends: BackendSupport): Unavailable | undefined {
  const pipeline = catalog.pipelines.get(config.pipeline)
  if (pipeline === undefined) return { field: '/pipeline', reason: `unknown pipeline "${config.pipeline}"` }
  if (catalog.stageOf(config) === 'output') {
    const name = catalog.outputChunkName(config)
    if (name === undefined) return { field: '/pipeline', reason: `pipeline "${pipeline.name}" has no output chunk and the config names none in parameters.OUTPUT_CHUNK` }
    const field = typeof config.parameters?.OUTPUT_CHUNK === 'string' ? '/parameters/OUTPUT_CHUNK' : '/pipeline'
    return chunkProblem(catalog.chunks.get(name), name, field, broken, backends.media, 'output')
  }
  for (const name of pipeline.chunks) {
    const chunk = catalog.chunks.get(name)
    if (chunk?.type === 'proxy_chunk') continue
    const u = chunkProblem(chunk, name, '/pipeline', broken, backends.text, 'text')
    if (u !== undefined) return { field: u.field, reason: `pipeline "${pipeline.name}": ${u.reason}` }
  }
  return undefined
}

function chunkProblem (chunk: Chunk | undefined, name: string, field: string, broken: ReadonlyMap<string, string>, supported: ReadonlySet<string>, kind: 'text' | 'output'): Unavailable | undefined {
  if (chunk === undefined) return { field, reason: `chunk "${name}" does not exist (or its file is invalid)` }
  const why = broken.get(name)
  if (why !== undefined) return { field, reason: `chunk "${name}": ${why}` }
  const backend = chunk.backend_type ?? (kind === 'text' ? 'ollama' : 'comfyui')
  if (CLOUD.has(backend)) return { field, reason: `chunk "${name}" needs the cloud provider "${backend}", which this server does not connect to (no provider or API key configured)` }
  if (!supported.has(backend)) return { field, reason: `chunk "${name}" needs the backend "${backend}", which this server does not have` }
  if (kind === 'output' && (backend === 'comfyui' || backend === 'comfyui_legacy') && chunk.workflow === undefined) {
    return { field, reason: `chunk "${name}" has no ComfyUI workflow` }
  }
  return undefined
}
