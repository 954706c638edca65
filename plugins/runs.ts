import fp from 'fastify-plugin'
import { RunStore } from '../services/run-store.js'

declare module 'fastify' {
  interface FastifyInstance {
    runs: RunStore
  }
}

/** The run store under RUNS_DIR; temporary files a crash left behind are swept at start. */
export default fp(async (fastify) => {
  const store = new RunStore(fastify.config.RUNS_DIR)
  await store.init()
  const swept = await store.sweep()
  if (swept > 0) fastify.log.info({ swept }, 'removed temporary files left by an earlier crash')
  fastify.decorate('runs', store)
}, { name: 'runs', dependencies: ['config'] })
