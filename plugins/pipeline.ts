import fp from 'fastify-plugin'
import { join } from 'node:path'
import { PipelineEngine } from '../services/pipeline/engine.js'
import { readUpload } from '../services/uploads.js'

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
    // Private runs (the default): a picture is readable only by the browser that uploaded it.
    readUpload: async (token, owner) => await readUpload(join(c.RUNS_DIR, 'uploads'), token, c.RUNS_PRIVATE ? owner ?? 'anonymous' : undefined),
    models: { STAGE1_MODEL: c.STAGE1_MODEL, STAGE2_INTERCEPTION_MODEL: c.STAGE2_INTERCEPTION_MODEL, STAGE3_MODEL: c.STAGE3_MODEL }
  }))
}, { name: 'pipeline', dependencies: ['config', 'catalog', 'ollama', 'queue', 'media', 'runs'] })
