import type { RunState, RunStore } from '../run-store.js'
import type { Logger } from './deps.js'

/**
 * A run's recording, off the hot path: each call notes the entity in the store, which writes
 * it later in order (with the run's next media file, or at its end), so no event waits for
 * the disk and a run's start costs no file.
 * A failed write is logged, never thrown: a full disk costs the record of a run, never the
 * run a child is waiting for. `RunStore.finish` waits for the chain at the end of the run.
 */
export class RunRecorder {
  constructor (readonly store: RunStore, readonly runId: string, readonly log: Logger) {}

  record (type: string, content: string | Buffer | object, metadata?: Record<string, unknown>): void {
    try {
      // Noted: written with the run's next awaited record (media) or at its end, in order.
      this.store.note(this.runId, type, content, metadata === undefined ? {} : { metadata })
    } catch (err) {
      this.log.warn({ err, type }, 'could not record an entity of the run')
    }
  }

  state (stage: number, step: string): void {
    this.#set({ stage, step, progress: `${stage}/4` })
  }

  /** How the run ended, keeping the stage it reached. */
  ended (step: 'done' | 'blocked' | 'error' | 'aborted'): void {
    this.#set({ step })
  }

  #set (state: Partial<RunState>): void {
    this.store.setState(this.runId, state)
      .catch((err: unknown) => this.log.warn({ err, state }, 'could not record the run state'))
  }
}
