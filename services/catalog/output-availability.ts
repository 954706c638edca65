import type { Catalog } from './catalog.js'
import type { Chunk } from './schemas.js'

import type { ObjectInfo } from '../media/availability.js'
export type { ObjectInfo }

/** Checks one workflow against ComfyUI's node classes and model files. */
export type WorkflowCheck = (workflow: Record<string, unknown>, info: ObjectInfo) => { ok: true } | { ok: false, reason: string }

export interface AvailabilityReport {
  availability: Record<string, boolean>
  /** Why each `false` is false (for /ready and the logs; the workshop's app reads only the booleans). */
  reasons: Record<string, string>
  comfyui_reachable: boolean
  cached: boolean
  cache_age_seconds: number
}

export interface OutputAvailabilityOptions {
  catalog: Catalog
  /** ComfyUI's /object_info, or undefined when ComfyUI does not answer (must not throw). */
  objectInfo: () => Promise<ObjectInfo | undefined>
  check: WorkflowCheck
  /** How long one answer is reused. */
  ttlMs: number
  now?: () => number
}

/**
 * `GET /api/models/availability`: which output configs can run right now. An output the
 * catalog marked unavailable never can; a ComfyUI output can when ComfyUI answers and has
 * every node class and model file its workflow names; a sketch (`code`) always can. The
 * answer is cached for `ttlMs` and computed once however many browsers ask at the same time
 * (every page load of the workshop's app asks), so ComfyUI sees at most one /object_info call
 * per period.
 */
export class OutputAvailability {
  readonly #o: OutputAvailabilityOptions
  readonly #now: () => number
  #last: { at: number, report: Omit<AvailabilityReport, 'cached' | 'cache_age_seconds'> } | undefined
  #pending: Promise<Omit<AvailabilityReport, 'cached' | 'cache_age_seconds'>> | undefined

  constructor (opts: OutputAvailabilityOptions) {
    this.#o = opts
    this.#now = opts.now ?? Date.now
  }

  async report (): Promise<AvailabilityReport> {
    const now = this.#now()
    const last = this.#last
    if (last !== undefined && now - last.at < this.#o.ttlMs) {
      return { ...last.report, cached: true, cache_age_seconds: Math.round((now - last.at) / 1000) }
    }
    this.#pending ??= this.#compute().finally(() => { this.#pending = undefined })
    const report = await this.#pending
    return { ...report, cached: false, cache_age_seconds: 0 }
  }

  async #compute (): Promise<Omit<AvailabilityReport, 'cached' | 'cache_age_seconds'>> {
    const { catalog } = this.#o
    const outputs = catalog.outputConfigs()
    const needsComfy = outputs.some((c) => usesComfy(catalog.outputChunk(c)))
    const info = needsComfy ? await this.#o.objectInfo() : undefined
    const availability: Record<string, boolean> = {}
    const reasons: Record<string, string> = {}
    for (const config of outputs) {
      const chunk = catalog.outputChunk(config)
      let why = catalog.unavailableReason(config.id)
      if (why === undefined && chunk !== undefined && usesComfy(chunk)) {
        if (info === undefined) why = 'ComfyUI does not answer'
        else {
          const r = this.#o.check(chunk.workflow ?? {}, info)
          if (!r.ok) why = r.reason
        }
      }
      availability[config.id] = why === undefined
      if (why !== undefined) reasons[config.id] = why
    }
    const report = { availability, reasons, comfyui_reachable: info !== undefined }
    this.#last = { at: this.#now(), report }
    return report
  }
}

function usesComfy (chunk: Chunk | undefined): boolean {
  const backend = chunk?.backend_type ?? 'comfyui'
  return chunk !== undefined && (backend === 'comfyui' || backend === 'comfyui_legacy')
}
