import { mediaTypeOf } from '../../services/pipeline/steps.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { bilingual, localize, pickLang, t, type Localized } from '../../services/i18n.js'
import type { CatalogConfig } from '../../services/catalog/catalog.js'

/**
 * Opposite qualities the config picker lays out as sliders; each config's `properties`
 * names some of them.
 */
const PROPERTY_PAIRS = [['calm', 'loud'], ['playful', 'structured'], ['classical', 'surprising'], ['narrative', 'technical'], ['open', 'wide']]

const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })
const PipelineInfo = Type.Object({
  config_id: Type.String(),
  pipeline_name: Type.String(),
  pipeline_type: Type.Union([Type.String(), Type.Null()]),
  pipeline_stage: Type.Union([Type.String(), Type.Number(), Type.Null()]),
  requires_interception_prompt: Type.Boolean(),
  input_requirements: Type.Record(Type.String(), Type.Unknown()),
  description: Type.String(),
  /** Output configs: the medium their chunk makes (image, video, audio, code). */
  media_type: Type.Optional(Type.String())
})
const NotFound = Type.Object({ status: Type.Literal('error'), error: Type.String(), code: Type.String() })

/** The catalog routes of api.md §4 that the config picker reads. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const catalog = fastify.catalog

  fastify.get('/pipeline_configs_metadata', async () => ({
    configs: catalog.interceptionConfigs().map((c) => ({ ...common(c), display: c.display ?? {}, meta: c.meta ?? {} }))
  }))

  fastify.get('/pipeline_configs_with_properties', async () => ({
    configs: catalog.interceptionConfigs().map((c) => ({
      ...common(c),
      properties: c.properties ?? [],
      short_description: shortDescription(c),
      icon: c.display?.icon ?? '',
      color: c.display?.color ?? '#888888',
      difficulty: c.display?.difficulty ?? 1,
      owner: c.id.startsWith('u_') ? (c.file.split('/')[2] ?? 'user') : 'system'
    })),
    property_pairs: PROPERTY_PAIRS,
    symbols_enabled: false
  }))

  fastify.get('/api/config/:id/context', { schema: { params: Id, response: { 200: Type.Object({ config_id: Type.String(), context: Type.String() }), 404: NotFound } } }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const config = catalog.interceptionConfig(request.params.id)
    const context = config === undefined ? '' : catalog.contextOf(config, lang)
    if (config === undefined || context.trim() === '') {
      return await reply.code(404).send({ status: 'error', error: config === undefined ? t('unknownSchema', lang, { id: request.params.id }) : `${config.id} has no context`, code: config === undefined ? 'UNKNOWN_SCHEMA' : 'NO_CONTEXT' })
    }
    return { config_id: config.id, context }
  })

  fastify.get('/api/config/:id/pipeline', { schema: { params: Id, response: { 200: PipelineInfo, 404: NotFound } } }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const config = catalog.configs.get(request.params.id)
    const pipeline = config === undefined ? undefined : catalog.pipelines.get(config.pipeline)
    if (config === undefined || pipeline === undefined) return await reply.code(404).send({ status: 'error', error: t('unknownSchema', lang, { id: request.params.id }), code: 'UNKNOWN_SCHEMA' })
    // An output config says what it makes and how many pictures it takes, from its chunk
    // (the pipeline is often a shared proxy that cannot know).
    const chunk = catalog.stageOf(config) === 'output' ? catalog.outputChunk(config) : undefined
    const images = Object.keys(chunk?.input_mappings ?? {}).filter((k) => /^input_image\d*$/.test(k)).length
    return {
      config_id: config.id,
      pipeline_name: pipeline.name,
      pipeline_type: pipeline.pipeline_type ?? null,
      pipeline_stage: pipeline.pipeline_stage ?? null,
      requires_interception_prompt: pipeline.requires_interception_prompt ?? false,
      input_requirements: { ...pipeline.input_requirements, ...(images > 0 ? { images } : {}) },
      description: pipeline.description ?? '',
      ...(chunk === undefined ? {} : { media_type: mediaTypeOf(chunk) })
    }
  })
}

/** What both config lists say of a config. */
function common (c: CatalogConfig): Record<string, unknown> {
  return {
    id: c.id,
    name: bilingual(c.name as Localized),
    description: bilingual(c.description as Localized | undefined),
    category: bilingual(c.category as Localized | undefined),
    pipeline: c.pipeline,
    tags: c.tags ?? { en: [], de: [] },
    audience: c.audience ?? {},
    media_preferences: c.media_preferences ?? {}
  }
}

function shortDescription (c: CatalogConfig): { en: string, de: string } {
  const first = (s: string): string => (/^.*?[.!?](\s|$)/.exec(s)?.[0] ?? s).trim()
  return { en: first(localize(c.description as Localized | undefined, 'en')), de: first(localize(c.description as Localized | undefined, 'de')) }
}

export default routes
