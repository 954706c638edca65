import { join } from 'node:path'
import fp from 'fastify-plugin'
import { RunStore } from '../services/run-store.js'
import { Retention } from '../services/retention.js'

declare module 'fastify' {
  interface FastifyInstance {
    runs: RunStore
  }
}

/** Where uploads live: beside the runs, so one volume and one retention cover both. */
export const uploadsDir = (runsDir: string): string => join(runsDir, 'uploads')

/**
 * The run store under RUNS_DIR; temporary files a crash left behind are swept at start.
 * Retention (README "Privacy and data protection"): runs past RUNS_RETENTION_DAYS, the oldest
 * runs past RUNS_MAX_BYTES and uploads past UPLOADS_RETENTION_HOURS are deleted at start and
 * every hour; never a run in progress.
 */
export default fp(async (fastify) => {
  const c = fastify.config
  const store = new RunStore(c.RUNS_DIR)
  await store.init()
  const swept = await store.sweep()
  if (swept > 0) fastify.log.info({ swept }, 'removed temporary files left by an earlier crash')
  fastify.decorate('runs', store)

  const retention = new Retention(store, {
    runsMaxAgeMs: c.RUNS_RETENTION_DAYS * 86_400_000,
    runsMaxBytes: c.RUNS_MAX_BYTES,
    uploadsDir: uploadsDir(c.RUNS_DIR),
    uploadsMaxAgeMs: c.UPLOADS_RETENTION_HOURS * 3_600_000
  }, (err) => fastify.log.warn({ err }, 'retention sweep failed'))
  const report = (r: { runsRemoved: string[], uploadsRemoved: number, bytes: number }): void => {
    if (r.runsRemoved.length > 0 || r.uploadsRemoved > 0) fastify.log.info({ runs: r.runsRemoved.length, uploads: r.uploadsRemoved, bytes_kept: r.bytes }, 'retention: deleted runs and uploads past their end date')
  }
  report(await retention.sweep())
  retention.start(undefined, report)
  fastify.addHook('onClose', async () => { await retention.stop() })
}, { name: 'runs', dependencies: ['config'] })
