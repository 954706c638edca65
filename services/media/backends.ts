import { AppError } from '../errors.js'
import type { Chunk } from '../catalog/schemas.js'
import type { ComfyUiClient } from './comfyui.js'

export interface MediaRequest {
  chunk: Chunk
  prompt: string
  negativePrompt: string | undefined
  seed: number
  signal: AbortSignal
  /** The student's pictures (image-to-image, multi-image, image-to-video), in order. */
  images?: Array<{ data: Buffer, filename: string }>
  /** Further mapping values (lyrics, seconds, width ...) from the output config. */
  values?: Record<string, unknown>
}

export interface MediaFile { data: Buffer, ext: string, mediaType: string }
export interface MediaResult { files: MediaFile[], metadata: Record<string, unknown> }

/** Stage 4 behind one small interface: a backend turns a checked prompt into files. */
export interface MediaBackend {
  generate: (req: MediaRequest) => Promise<MediaResult>
}

/** Puts the prompt, negative prompt, seed and defaults into the chunk's workflow graph. */
export function mapWorkflow (chunk: Chunk, values: Record<string, unknown>): Record<string, unknown> {
  if (chunk.workflow === undefined) throw new AppError('CATALOG_INVALID', `chunk ${chunk.name} has no ComfyUI workflow`, 500)
  const graph = structuredClone(chunk.workflow) as Record<string, Record<string, unknown>>
  for (const [key, mapping] of Object.entries(chunk.input_mappings ?? {})) {
    if (typeof mapping === 'string' || Array.isArray(mapping)) continue
    const value = values[key] ?? mapping.default
    if (value === undefined || mapping.node_id === undefined || mapping.field === undefined) continue
    const node = graph[String(mapping.node_id)]
    if (node === undefined) throw new AppError('CATALOG_INVALID', `chunk ${chunk.name}: input "${key}" names node ${String(mapping.node_id)}, which the workflow lacks`, 500)
    const path = mapping.field.split('.')
    let target: Record<string, unknown> = node
    for (const part of path.slice(0, -1)) {
      target[part] ??= {}
      target = target[part] as Record<string, unknown>
    }
    target[path.at(-1) as string] = value
  }
  return graph
}

export class ComfyUiBackend implements MediaBackend {
  constructor (readonly client: ComfyUiClient) {}

  async generate (req: MediaRequest): Promise<MediaResult> {
    const mapped = req.chunk.input_mappings?.negative_prompt
    const negative = [typeof mapped === 'object' && !Array.isArray(mapped) ? mapped.default : undefined, req.negativePrompt].filter((x): x is string => typeof x === 'string' && x !== '').join(', ')
    const workflow = mapWorkflow(req.chunk, { prompt: req.prompt, negative_prompt: negative === '' ? undefined : negative, seed: req.seed })
    const result = await this.client.run(workflow, req.signal)
    const mediaType = req.chunk.media_type ?? req.chunk.meta?.media_type ?? 'image'
    return {
      files: result.files.map((f) => ({ data: f.data, ext: (f.filename.split('.').pop() ?? 'bin').toLowerCase(), mediaType })),
      metadata: { prompt_id: result.promptId, progress: result.progress, negative_prompt: negative }
    }
  }
}

/** The p5.js "backend": the checked Stage 2 text is the sketch. */
export class CodeBackend implements MediaBackend {
  async generate (req: MediaRequest): Promise<MediaResult> {
    return { files: [{ data: Buffer.from(req.prompt, 'utf8'), ext: 'js', mediaType: 'code' }], metadata: {} }
  }
}
