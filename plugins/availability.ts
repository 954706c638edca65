import fp from 'fastify-plugin'
import { OutputAvailability } from '../services/catalog/output-availability.js'
import { workflowAvailability } from '../services/media/availability.js'

declare module 'fastify' {
  interface FastifyInstance {
    availability: OutputAvailability
  }
}

/** Which outputs can run right now (api.md §6), shared by `/api/models/availability` and `/ready`. */
export default fp(async (fastify) => {
  const comfyui = fastify.media.comfyui
  fastify.decorate('availability', new OutputAvailability({
    catalog: fastify.catalog,
    objectInfo: async () => await comfyui.objectInfo(),
    check: workflowAvailability,
    ttlMs: fastify.config.AVAILABILITY_CACHE_MS
  }))
}, { name: 'availability', dependencies: ['config', 'catalog', 'media'] })
