/**
 * What ComfyUI's history says a job produced, and how each file is named and typed here.
 *
 * History keys (read in ComfyUI's comfy_api/latest/_ui.py, nodes.py, comfy_extras/nodes_video.py,
 * nodes_audio.py and VideoHelperSuite): SaveImage and SaveAnimatedWEBP/PNG report under `images`
 * (the animated ones with `animated: [true]`); core SaveVideo and SaveWEBM also report under
 * `images` with `animated: [true]`, so a video is told apart by its extension, not by the key;
 * SaveAudio / SaveAudioMP3 / SaveAudioOpus report under `audio`; VHS_VideoCombine under `gifs`;
 * some custom nodes use `videos`. Previews (PreviewImage, PreviewAudio) are `type: "temp"` and skipped.
 */
import { MEDIA_FILES, type MediaKind } from '../file-types.js'

export type { MediaKind }

export interface ComfyFile { filename: string, subfolder: string, type: string }
export interface ComfyOutputFile extends ComfyFile { nodeId: string, key: string, animated: boolean }

const HISTORY_KEYS = ['images', 'gifs', 'audio', 'videos'] as const

const KNOWN = MEDIA_FILES

const EXT_RULE = /^[a-z0-9]{1,5}$/

/**
 * The extension a file is stored under: the part after the last dot of ComfyUI's file name,
 * lower-cased, only when it passes the run store's rule and is a known media type; anything
 * else (no dot, "../x", "png/../../a", "exe") is 'bin'. Never a path fragment.
 */
export function safeExt (filename: string): string {
  const dot = filename.lastIndexOf('.')
  if (dot === -1) return 'bin'
  const ext = filename.slice(dot + 1).toLowerCase()
  return EXT_RULE.test(ext) && Object.hasOwn(KNOWN, ext) ? ext : 'bin'
}

/** Medium and content type of one output: from the extension, else from the history key. */
export function describeOutput (filename: string, key: string): { ext: string, mediaType: MediaKind, contentType: string } {
  const ext = safeExt(filename)
  const known = KNOWN[ext]
  if (known !== undefined) return { ext, mediaType: known.kind, contentType: known.contentType }
  const mediaType: MediaKind = key === 'audio' ? 'audio' : key === 'images' ? 'image' : 'video'
  return { ext, mediaType, contentType: 'application/octet-stream' }
}

/** Every saved (non-temp) file of a history entry, in node order, all keys. */
export function outputFiles (entry: Record<string, unknown>): ComfyOutputFile[] {
  const outputs = (entry.outputs ?? {}) as Record<string, Record<string, unknown>>
  const files: ComfyOutputFile[] = []
  for (const [nodeId, node] of Object.entries(outputs)) {
    if (typeof node !== 'object' || node === null) continue
    const animated = Array.isArray(node.animated) && node.animated.some((a) => a === true)
    for (const key of HISTORY_KEYS) {
      const list = node[key]
      if (!Array.isArray(list)) continue
      for (const f of list as Array<Partial<ComfyFile> | null>) {
        if (typeof f?.filename !== 'string' || f.filename === '') continue
        const type = typeof f.type === 'string' ? f.type : 'output'
        if (type === 'temp') continue
        files.push({ filename: f.filename, subfolder: typeof f.subfolder === 'string' ? f.subfolder : '', type, nodeId, key, animated })
      }
    }
  }
  return files
}

/**
 * ComfyUI's own words for a failed job, from history `status.messages` ([[event, data], ...]):
 * the node, its class, the exception type and message, in full (a traceback is left out).
 */
export function historyError (status: { messages?: unknown } | undefined): string {
  const messages = Array.isArray(status?.messages) ? status.messages as unknown[] : []
  for (const m of messages) {
    if (!Array.isArray(m) || typeof m[1] !== 'object' || m[1] === null) continue
    const [event, data] = m as [unknown, Record<string, unknown>]
    if (event === 'execution_error') return describeExecutionError(data)
    if (event === 'execution_interrupted') return 'ComfyUI interrupted the job'
  }
  return 'ComfyUI reported an error without details'
}

/** The text of an `execution_error` event (websocket or history). */
export function describeExecutionError (data: Record<string, unknown>): string {
  const node = [data.node_id, data.node_type].filter((x) => typeof x === 'string' && x !== '').join(' ')
  const type = typeof data.exception_type === 'string' && data.exception_type !== '' ? `${data.exception_type}: ` : ''
  const message = typeof data.exception_message === 'string' ? data.exception_message.trim() : 'execution error'
  return `ComfyUI failed${node === '' ? '' : ` in node ${node}`}: ${type}${message}`
}
