import fp from 'fastify-plugin'
import { loadCatalog } from '../services/catalog/loader.js'
import type { Catalog } from '../services/catalog/catalog.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalog: Catalog
  }
}

/**
 * Loads and validates the catalog at start. By default the server starts with everything
 * valid and says once, loudly, what it skipped and why (also in `/ready`); with
 * CATALOG_STRICT=true any problem stops the start, naming file and field.
 */
export default fp(async (fastify) => {
  const catalog = await loadCatalog(fastify.config.CATALOG_DIR, { strict: fastify.config.CATALOG_STRICT })
  fastify.log.info({ dir: catalog.dir, ...catalog.counts() }, 'catalog loaded')
  if (catalog.problems.length > 0) {
    fastify.log.warn({
      problems: catalog.problems.map((p) => ({ kind: p.kind, file: p.file, field: p.field, message: p.message }))
    }, `catalog: ${catalog.problems.length} problem(s); invalid files were skipped and unavailable entries are not offered (npm run catalog:check shows the report)`)
  }
  fastify.decorate('catalog', catalog)
}, { name: 'catalog', dependencies: ['config'] })
