import type { FastifyInstance } from 'fastify'

export interface RoomRun {
  run_id: string
  /** `sse` for a streaming run, `json` for a JSON or stage route run. */
  kind: 'sse' | 'json'
  /** `waiting` for a model or media slot, else `running`. */
  state: 'waiting' | 'running'
  /** Which line it waits in or holds a slot of: `model`, `media`, or null (between the two). */
  queue: 'model' | 'media' | null
  /** The stage the run last announced (streaming runs), else null. */
  stage: number | null
  /** 1 = next in line; null when not waiting. */
  position: number | null
  /** How long it has waited in its current line (0 when not waiting). */
  wait_time_ms: number
  /** Since the run's request came in. */
  age_ms: number
}

export interface RoomRuns {
  max_concurrent: number
  active: number
  waiting: number
  media_active: number
  media_waiting: number
  runs: RoomRun[]
}

/**
 * The runs of the room right now: every open run stream, joined with its place in the model
 * and media queues. No input text: a teacher sees who waits, not what they wrote.
 */
export function roomRuns (fastify: FastifyInstance, now = Date.now()): RoomRuns {
  const model = fastify.queue.snapshot()
  const media = fastify.media.queue.snapshot()
  const inModel = new Map(model.runs.map((r) => [r.run_id, r]))
  const inMedia = new Map(media.runs.map((r) => [r.run_id, r]))
  const runs: RoomRun[] = []
  const seen = new Set<string>()
  for (const s of fastify.streams.runs()) {
    const id = s.runId as string
    if (seen.has(id)) continue
    seen.add(id)
    const q = inModel.get(id) ?? inMedia.get(id)
    const line = inModel.has(id) ? 'model' : inMedia.has(id) ? 'media' : null
    runs.push({
      run_id: id,
      kind: s.kind,
      state: q?.state === 'waiting' ? 'waiting' : 'running',
      queue: line,
      stage: s.stage ?? null,
      position: q?.state === 'waiting' ? q.position : null,
      wait_time_ms: q?.state === 'waiting' ? q.wait_time_ms : 0,
      age_ms: now - (s.openedAt ?? now)
    })
  }
  // Waiting first, in line order; then the running ones, oldest first.
  runs.sort((a, b) => (a.state === b.state ? (a.position ?? 0) - (b.position ?? 0) || b.age_ms - a.age_ms : a.state === 'waiting' ? -1 : 1))
  return { max_concurrent: model.max_concurrent, active: model.active, waiting: model.waiting, media_active: media.active, media_waiting: media.waiting, runs }
}

export interface Upstreams {
  ollama: { reachable: boolean, url: string, version: string | null, models: string[], loaded: string[], missing_models: string[], error: string | null }
  comfyui: { reachable: boolean, url: string, running: number | null, pending: number | null, error: string | null }
}

/** Whether Ollama and ComfyUI answer, what Ollama has installed and what it holds in memory. */
export async function upstreams (fastify: FastifyInstance): Promise<Upstreams> {
  const [o, c, loaded] = await Promise.all([
    fastify.ollamaStatus(),
    fastify.media.comfyui.status(),
    fastify.ollama.ps(AbortSignal.timeout(3000)).catch(() => [] as string[])
  ])
  return {
    ollama: { reachable: o.reachable, url: o.url, version: o.version ?? null, models: o.models ?? [], loaded, missing_models: o.missing_models ?? [], error: o.error ?? null },
    comfyui: { reachable: c.reachable, url: c.url, running: c.running ?? null, pending: c.pending ?? null, error: c.error ?? null }
  }
}
