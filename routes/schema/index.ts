import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import executeRoutes from './execute.js'
import stageRoutes from './stages.js'
import { InfoResponse, SchemasResponse } from './schemas.js'

/** `/api/schema/*`: the runs (execute, stages) and what the catalog offers. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  await fastify.register(executeRoutes)
  await fastify.register(stageRoutes)

  fastify.get('/api/schema/info', { schema: { response: { 200: InfoResponse } } }, async () => {
    const ids = fastify.catalog.interceptionConfigs().map((c) => c.id)
    return { status: 'success' as const, schemas_available: ids.length, schemas: ids, engine_status: 'initialized' as const }
  })

  fastify.get('/api/schema/schemas', { schema: { response: { 200: SchemasResponse } } }, async () => {
    const catalog = fastify.catalog
    return { status: 'success' as const, schemas: catalog.interceptionConfigs().map((c) => catalog.describe(c)) as never }
  })

  /** Every output chunk with its meta (api.md §4). */
  fastify.get('/api/schema/chunk-metadata', {
    schema: { response: { 200: Type.Record(Type.String(), Type.Object({ name: Type.String(), meta: Type.Record(Type.String(), Type.Unknown()) })) } }
  }, async () => {
    const out: Record<string, { name: string, meta: Record<string, unknown> }> = {}
    for (const chunk of fastify.catalog.chunks.values()) {
      if (chunk.type === 'output_chunk') out[chunk.name] = { name: chunk.name, meta: { ...chunk.meta, ...(chunk.media_type === undefined ? {} : { media_type: chunk.media_type }) } }
    }
    return out
  })
}

export default routes
