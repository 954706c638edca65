import type { Catalog } from '../catalog/catalog.js'
import type { RunStore } from '../run-store.js'
import type { SlotQueue } from '../slot-queue.js'
import type { MediaBackend } from '../media/backends.js'
import type { ModelCaller, StageModels } from '../stages/models.js'

/** Everything the stages need, handed in by the pipeline plugin. */
export interface PipelineDeps {
  catalog: Catalog
  llm: ModelCaller
  /** Model slots: every model call of every route. */
  queue: SlotQueue
  /** Media slots (ComfyUI jobs), separate from the model slots. */
  mediaQueue: SlotQueue
  models: StageModels
  store: RunStore
  /** By chunk `backend_type`: `comfyui`, `code`. */
  backends: Record<string, MediaBackend>
  /** Reads a student's uploaded picture by its token; undefined when there is none (or, private, it is another browser's). */
  readUpload: (token: string, owner: string | undefined) => Promise<{ data: Buffer, filename: string } | undefined>
}

/** A pino-like logger that already carries the run id (the route passes a child logger). */
export interface Logger {
  info: (obj: object, msg?: string) => void
  warn: (obj: object, msg?: string) => void
  debug: (obj: object, msg?: string) => void
}
