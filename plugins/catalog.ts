import fp from 'fastify-plugin'
import { loadCatalog } from '../services/catalog/loader.js'
import type { Catalog } from '../services/catalog/catalog.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: Catalog
  }
}

/** Loads and validates the catalog at start; a malformed file stops the start, naming file and field. */
export default fp(async (fastify) => {
  const catalog = await loadCatalog(fastify.config.CATALOG_DIR)
  fastify.log.info({ dir: catalog.dir, ...catalog.counts() }, 'catalog loaded')
  fastify.decorate('catalog', catalog)
}, { name: 'catalog', dependencies: ['config'] })
