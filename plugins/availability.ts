import fp from 'fastify-plugin'
import { OutputAvailability, type ObjectInfo } from '../services/catalog/output-availability.js'

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
    check: (workflow, info: ObjectInfo) => {
      for (const [id, node] of Object.entries(workflow)) {
        const type = (node as { class_type?: unknown }).class_type
        if (typeof type === 'string' && info[type] === undefined) return { ok: false, reason: `ComfyUI has no node "${type}" (node ${id})` }
      }
      return { ok: true }
    },
    ttlMs: fastify.config.AVAILABILITY_CACHE_MS
  }))
}, { name: 'availability', dependencies: ['config', 'catalog', 'media'] })
