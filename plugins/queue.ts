import fp from 'fastify-plugin'
import { SlotQueue } from '../services/slot-queue.js'
import { AppError } from '../services/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    queue: SlotQueue
  }
}

/** The model slots every route's model calls go through. */
export default fp(async (fastify) => {
  const c = fastify.config
  const queue = new SlotQueue({
    maxConcurrent: c.QUEUE_MAX_CONCURRENT,
    maxWaiting: c.QUEUE_MAX_WAITING,
    maxWaitingPerBrowser: c.QUEUE_MAX_WAITING_PER_BROWSER,
    maxWaitingPerAddress: c.QUEUE_MAX_WAITING_PER_ADDRESS
  })
  fastify.decorate('queue', queue)
  fastify.addHook('preClose', async () => {
    queue.close(new AppError('SHUTTING_DOWN', 'The server is shutting down', 503))
  })
}, { name: 'queue', dependencies: ['config'] })
