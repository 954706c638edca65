/**
 * One streaming run (Stages 1–2) over EventSource, as api.md §1 describes it. The handlers
 * hear what a page needs; closing the EventSource (stop()) is all it takes for the server to
 * take the run out of the queue or close its model call and free the slot.
 */
export interface StreamHandlers {
  connected: (runId: string) => void
  stage: (stage: number) => void
  waiting: (position: number, waitMs: number) => void
  acquired: () => void
  chunk: (text: string) => void
  complete: (finalText: string) => void
  blocked: (message: string) => void
  /** A server `error` event (with its message) or a lost connection (message undefined). */
  failed: (message: string | undefined, code: string | undefined) => void
}

export interface StreamParams {
  schema: string
  inputText: string
  contextPrompt: string | undefined
  safetyLevel: string
  lang: string
}

export class StreamRun {
  #source: EventSource | undefined
  #ended = false

  constructor (readonly params: StreamParams, readonly on: StreamHandlers) {}

  start (): void {
    const q = new URLSearchParams({
      schema: this.params.schema,
      input_text: this.params.inputText,
      safety_level: this.params.safetyLevel,
      user_language: this.params.lang,
      enable_streaming: 'true'
    })
    if (this.params.contextPrompt !== undefined) q.set('context_prompt', this.params.contextPrompt)
    const source = new EventSource(`/api/schema/pipeline/execute?${q.toString()}`)
    this.#source = source
    const data = (e: Event): Record<string, unknown> => {
      try { return JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown> } catch { return {} }
    }
    source.addEventListener('connected', (e) => this.on.connected(String(data(e).run_id ?? '')))
    source.addEventListener('stage_start', (e) => this.on.stage(Number(data(e).stage)))
    source.addEventListener('queue_status', (e) => {
      const d = data(e)
      if (d.status === 'waiting') this.on.waiting(Number(d.position), Number(d.wait_time_ms))
      else this.on.acquired()
    })
    source.addEventListener('chunk', (e) => this.on.chunk(String(data(e).text_chunk ?? '')))
    // After the last event the server ends the stream; the EventSource is closed when it
    // does (below), so the request completes instead of being cut off by the page.
    source.addEventListener('complete', (e) => { this.#ended = true; this.on.complete(String(data(e).final_text ?? '')) })
    source.addEventListener('blocked', (e) => { this.#ended = true; this.on.blocked(String(data(e).message ?? data(e).reason ?? '')) })
    // `error` is both the server's event (a MessageEvent with data) and EventSource's own
    // signal that the connection failed or ended. Either way the run is over, and closing
    // keeps EventSource from reconnecting (which would start a new run).
    source.addEventListener('error', (e) => {
      const server = e instanceof MessageEvent && typeof e.data === 'string'
      const wasEnded = this.#ended
      this.#ended = true
      if (!server) source.close()
      if (wasEnded) return
      if (server) {
        const d = data(e)
        this.on.failed(String(d.message ?? ''), typeof d.code === 'string' ? d.code : undefined)
      } else {
        this.on.failed(undefined, undefined)
      }
    })
  }

  /** Leaves: the server sees the stream close and frees the slot. */
  stop (): void {
    this.#end()
  }

  get ended (): boolean { return this.#ended }

  #end (): void {
    this.#ended = true
    this.#source?.close()
  }
}
