import type { RunStore } from '../run-store.js'
import type { Logger } from './deps.js'

/**
 * A run's recording: every call is chained on the store and its failure only logged, so a
 * full disk costs the record of a run, never the run a child is waiting for.
 */
export class RunRecorder {
  constructor (readonly store: RunStore, readonly runId: string, readonly log: Logger) {}

  async record (type: string, content: string | Buffer | object, metadata?: Record<string, unknown>): Promise<void> {
    try {
      await this.store.record(this.runId, type, content, metadata === undefined ? {} : { metadata })
    } catch (err) {
      this.log.warn({ err, type }, 'could not record an entity of the run')
    }
  }

  async state (stage: number, step: string): Promise<void> {
    try {
      await this.store.setState(this.runId, { stage, step, progress: `${stage}/4` })
    } catch (err) {
      this.log.warn({ err, step }, 'could not record the run state')
    }
  }
}
