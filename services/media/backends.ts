import type { Chunk } from '../catalog/schemas.js'
import type { ComfyUiClient } from './comfyui.js'
import type { MediaKind } from './outputs.js'
import { randomUUID } from 'node:crypto'
import { describeOutput, safeExt } from './outputs.js'
import { mapWorkflow, type WorkflowChunk } from './workflow.js'

export { mapWorkflow } from './workflow.js'
export type { MediaKind } from './outputs.js'

/** A picture the student uploaded: PNG, JPEG or WebP bytes, and a file name for ComfyUI. */
export interface MediaImage { data: Buffer, filename: string }

/** A catalog chunk; also one whose input mappings take the legacy forms (strings, lists). */
export type MediaChunk = Chunk | (WorkflowChunk & Pick<Chunk, 'media_type' | 'meta'>)

export interface MediaRequest {
  chunk: MediaChunk
  prompt: string
  negativePrompt: string | undefined
  seed: number
  signal: AbortSignal
  /** The student's pictures, in order: one → `input_image`, several → `input_image1..N`. */
  images?: MediaImage[]
  /**
   * Further mapping values by input-mapping key (lyrics, seconds, width, frames ...), from the
   * request or the output config's parameters. prompt, negative_prompt and seed win over these.
   */
  values?: Record<string, unknown>
}

export interface MediaFile {
  data: Buffer
  /** Checked: one of png jpg jpeg webp gif mp4 webm mov mp3 wav flac ogg m4a, else 'bin'; 'js' for code. */
  ext: string
  mediaType: MediaKind | 'code'
  contentType: string
}
export interface MediaResult { files: MediaFile[], metadata: Record<string, unknown> }

/** Stage 4 behind one small interface: a backend turns a checked prompt into files. */
export interface MediaBackend {
  generate: (req: MediaRequest) => Promise<MediaResult>
}

export class ComfyUiBackend implements MediaBackend {
  constructor (readonly client: ComfyUiClient) {}

  async generate (req: MediaRequest): Promise<MediaResult> {
    const mappings = (req.chunk.input_mappings ?? {}) as Record<string, unknown>
    const negDefault = (mappings.negative_prompt as { default?: unknown } | undefined)?.default
    const negative = [negDefault, req.negativePrompt].filter((x): x is string => typeof x === 'string' && x !== '').join(', ')
    const values: Record<string, unknown> = { ...req.values, prompt: req.prompt, negative_prompt: negative === '' ? undefined : negative, seed: req.seed }
    // The app says duration, the audio chunks' mappings say seconds.
    if (values.seconds === undefined && values.duration !== undefined) values.seconds = values.duration
    // Uploads first: the names ComfyUI gives them go into the LoadImage nodes. Each gets a name
    // of its own, so two runs uploading "image.png" at once never overwrite each other's picture.
    const slots = Object.keys(mappings).filter((k) => /^input_image\d+$/.test(k)).length
    const multi = slots > 0 && !('input_image' in mappings && (req.images ?? []).length === 1)
    // Only as many as the workflow has image inputs for; none when it has none (text-to-image).
    const images = (req.images ?? []).slice(0, multi ? slots : 'input_image' in mappings ? 1 : 0)
    const uploaded: string[] = []
    for (const image of images) {
      const ext = safeExt(image.filename)
      const filename = image.filename === '' ? '' : `artsed_${randomUUID()}.${['png', 'jpg', 'jpeg', 'webp'].includes(ext) ? ext : 'png'}`
      const up = await this.client.uploadImage({ data: image.data, filename }, req.signal)
      uploaded.push(up.subfolder === '' ? up.name : `${up.subfolder}/${up.name}`)
    }
    if (multi) uploaded.forEach((name, i) => { values[`input_image${i + 1}`] = name })
    else if (uploaded[0] !== undefined) values.input_image = uploaded[0]
    const workflow = mapWorkflow(req.chunk as WorkflowChunk, values)
    const result = await this.client.run(workflow, req.signal)
    return {
      files: result.files.map((f) => ({ data: f.data, ...describeOutput(f.filename, f.key) })),
      metadata: { prompt_id: result.promptId, progress: result.progress, negative_prompt: negative, ...(uploaded.length > 0 ? { input_images: uploaded } : {}) }
    }
  }
}

/** The p5.js "backend": the checked Stage 2 text is the sketch. */
export class CodeBackend implements MediaBackend {
  async generate (req: MediaRequest): Promise<MediaResult> {
    return { files: [{ data: Buffer.from(req.prompt, 'utf8'), ext: 'js', mediaType: 'code', contentType: 'text/javascript; charset=utf-8' }], metadata: {} }
  }
}
