import fp from 'fastify-plugin'
import { ComfyUiClient } from '../services/media/comfyui.js'
import { CodeBackend, ComfyUiBackend, type MediaBackend } from '../services/media/backends.js'
import { SlotQueue } from '../services/slot-queue.js'
import { AppError } from '../services/errors.js'

export interface MediaService {
  comfyui: ComfyUiClient
  /** By chunk `backend_type`. */
  backends: Record<string, MediaBackend>
  /** Media jobs, separate from the model slots (MEDIA_MAX_CONCURRENT, default 1). */
  queue: SlotQueue
}

declare module 'fastify' {
  interface FastifyInstance {
    media: MediaService
  }
}

export interface MediaPluginOptions {
  /** Inject a ComfyUI client (tests); the plugin then does not close it. */
  comfyui?: ComfyUiClient
}

/** Stage 4's backends: ComfyUI over HTTP (+ websocket), and `code` for p5.js sketches. */
export default fp<MediaPluginOptions>(async (fastify, opts) => {
  const c = fastify.config
  const comfyui = opts.comfyui ?? new ComfyUiClient({ baseUrl: c.COMFYUI_URL, timeoutMs: c.COMFYUI_TIMEOUT_MS })
  const queue = new SlotQueue({ maxConcurrent: c.MEDIA_MAX_CONCURRENT, maxWaiting: c.QUEUE_MAX_WAITING, maxWaitingPerBrowser: c.QUEUE_MAX_WAITING_PER_BROWSER, maxWaitingPerAddress: c.QUEUE_MAX_WAITING_PER_ADDRESS })
  fastify.decorate('media', { comfyui, queue, backends: { comfyui: new ComfyUiBackend(comfyui), code: new CodeBackend() } })
  fastify.addHook('preClose', async () => { queue.close(new AppError('SHUTTING_DOWN', 'The server is shutting down', 503)) })
  fastify.addHook('onClose', async () => { if (opts.comfyui === undefined) await comfyui.close() })
}, { name: 'media', dependencies: ['config'] })
