import fp from 'fastify-plugin'
import { PipelineEngine } from '../services/pipeline/engine.js'

declare module 'fastify' {
  interface FastifyInstance {
    pipeline: PipelineEngine
  }
}

/** The stage engine, composed from the catalog, the Ollama client, the queues, the media backends and the run store. */
export default fp(async (fastify) => {
  const c = fastify.config
  fastify.decorate('pipeline', new PipelineEngine({
    catalog: fastify.catalog,
    llm: fastify.ollama,
    queue: fastify.queue,
    mediaQueue: fastify.media.queue,
    backends: fastify.media.backends,
    store: fastify.runs,
    models: { STAGE1_MODEL: c.STAGE1_MODEL, STAGE2_INTERCEPTION_MODEL: c.STAGE2_INTERCEPTION_MODEL, STAGE3_MODEL: c.STAGE3_MODEL }
  }))
}, { name: 'pipeline', dependencies: ['config', 'catalog', 'ollama', 'queue', 'media', 'runs'] })
