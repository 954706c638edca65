/**
 * TEMPORARY, FOR THE LEAD TO DELETE: a minimal `GET /api/models/availability` (api.md §6)
 * so the student page offers media on a branch that does not have the real route yet.
 * app.ts registers it only when no such route exists, so it steps aside by itself once the
 * real one is merged; delete this file and its two lines in app.ts then.
 *
 * It says what it can see without caching: an output on the `code` backend is always
 * available, a ComfyUI output when ComfyUI answers right now.
 */
import type { FastifyPluginAsync } from 'fastify'

const availabilityFallback: FastifyPluginAsync = async (fastify) => {
  fastify.get('/api/models/availability', async () => {
    const comfy = await fastify.media.comfyui.status()
    const catalog = fastify.catalog
    const availability: Record<string, boolean> = {}
    for (const config of catalog.configs.values()) {
      if (catalog.outputConfig(config.id) === undefined) continue
      const chunk = catalog.firstChunk(config)
      if (chunk === undefined) continue
      availability[config.id] = (chunk.backend_type ?? 'comfyui') === 'comfyui' ? comfy.reachable : true
    }
    return { status: 'success', availability, comfyui_reachable: comfy.reachable, cached: false, cache_age_seconds: 0 }
  })
}

export default availabilityFallback
