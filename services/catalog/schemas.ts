import { Type, type Static } from '@sinclair/typebox'

/**
 * The three-layer catalog format (pipeline.md). Strict about what the server relies on,
 * open (`additionalProperties`) to the extra fields that existing workshop catalogs carry,
 * so those load unchanged.
 */
const Loose = { additionalProperties: true } as const
const Bag = Type.Record(Type.String(), Type.Unknown())

export const LocalizedSchema = Type.Union([
  Type.String(),
  Type.Object({ en: Type.Optional(Type.String()), de: Type.Optional(Type.String()) }, Loose)
])

/** The chunk types of pipeline.md; a chunk of another type is reported, not guessed at. */
export const CHUNK_TYPES = ['processing_chunk', 'output_chunk', 'proxy_chunk', 'api_output_chunk', 'text_passthrough'] as const

export const MappingSchema = Type.Object({
  node_id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  field: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  default: Type.Optional(Type.Unknown())
}, Loose)

export const ChunkSchema = Type.Object({
  /** Defaults to the file name (the workshop's proxy chunks carry none). */
  name: Type.Optional(Type.String({ minLength: 1 })),
  description: Type.Optional(Type.String()),
  type: Type.Optional(Type.Union(CHUNK_TYPES.map((t) => Type.Literal(t)))),
  /** A prompt text, or (the workshop's optimizer chunks) a system text and a prompt text. */
  template: Type.Optional(Type.Union([Type.String(), Type.Object({ system: Type.Optional(Type.String()), prompt: Type.Optional(Type.String()) }, Loose)])),
  backend_type: Type.Optional(Type.String({ minLength: 1 })),
  model: Type.Optional(Type.String()),
  media_type: Type.Optional(Type.String()),
  parameters: Type.Optional(Bag),
  workflow: Type.Optional(Bag),
  /**
   * `{node_id, field, default?}`; a list of them (one value into several nodes); or, in
   * legacy chunks, a plain string.
   */
  input_mappings: Type.Optional(Type.Record(Type.String(), Type.Union([MappingSchema, Type.Array(MappingSchema), Type.String()]))),
  meta: Type.Optional(Type.Object({
    optimization_instruction: Type.Optional(Type.String()),
    estimated_duration_seconds: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    quality_rating: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    gpu_vram_mb: Type.Optional(Type.Number()),
    media_type: Type.Optional(Type.String())
  }, Loose))
}, Loose)

export const PipelineSchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1 })),
  description: Type.Optional(Type.String()),
  pipeline_type: Type.Optional(Type.String()),
  pipeline_stage: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  chunks: Type.Array(Type.String({ minLength: 1 })),
  skip_stage2: Type.Optional(Type.Boolean()),
  requires_interception_prompt: Type.Optional(Type.Boolean()),
  input_requirements: Type.Optional(Bag),
  defaults: Type.Optional(Type.Object({ parameters: Type.Optional(Bag) }, Loose)),
  meta: Type.Optional(Bag)
}, Loose)

export const StageSchema = Type.Union([
  Type.Literal('interception'),
  Type.Literal('output'),
  Type.Literal('pre_interception'),
  Type.Literal('pre_output')
])

export const ConfigSchema = Type.Object({
  pipeline: Type.String({ minLength: 1 }),
  name: LocalizedSchema,
  description: Type.Optional(LocalizedSchema),
  category: Type.Optional(LocalizedSchema),
  context: Type.Optional(LocalizedSchema),
  parameters: Type.Optional(Bag),
  media_preferences: Type.Optional(Type.Object({
    default_output: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    supported_types: Type.Optional(Type.Array(Type.String())),
    output_configs: Type.Optional(Type.Array(Type.String()))
  }, Loose)),
  meta: Type.Optional(Type.Object({
    stage: Type.Optional(StageSchema),
    system_pipeline: Type.Optional(Type.Boolean()),
    model_override: Type.Optional(Type.Union([Type.String(), Type.Null()]))
  }, Loose)),
  display: Type.Optional(Type.Object({
    icon: Type.Optional(Type.String()),
    color: Type.Optional(Type.String()),
    difficulty: Type.Optional(Type.Number()),
    order: Type.Optional(Type.Number())
  }, Loose)),
  tags: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
  audience: Type.Optional(Type.Object({
    min_age: Type.Optional(Type.Number()),
    workshop_suitable: Type.Optional(Type.Boolean()),
    complexity: Type.Optional(Type.String())
  }, Loose)),
  properties: Type.Optional(Type.Array(Type.String()))
}, Loose)

/** A chunk as loaded: its name always set (from the file name when the file has none). */
export type Chunk = Static<typeof ChunkSchema> & { name: string }
export type Mapping = Static<typeof MappingSchema>
export type Pipeline = Static<typeof PipelineSchema> & { name: string }
export type Config = Static<typeof ConfigSchema>
export type Stage = Static<typeof StageSchema>
