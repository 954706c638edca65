import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

/**
 * `GET /api/models/availability` (api.md §6): the workshop's app asks on every page load and
 * shows only outputs marked true. Always a quick 200, also when ComfyUI is down (its outputs
 * are then false).
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/models/availability', {
    schema: {
      response: {
        200: Type.Object({
          status: Type.Literal('success'),
          availability: Type.Record(Type.String(), Type.Boolean()),
          comfyui_reachable: Type.Boolean(),
          cached: Type.Boolean(),
          cache_age_seconds: Type.Number()
        })
      }
    }
  }, async () => {
    // The reasons name model files and node types: they are for the admin's /ready, not for everyone.
    const { reasons: _reasons, ...report } = await fastify.availability.report()
    return { status: 'success' as const, ...report }
  })
}

export default routes
