import { Type, type Static } from '@sinclair/typebox'

const SafetyLevel = Type.Union(['kids', 'youth', 'adult', 'off', 'open'].map((l) => Type.Literal(l)))
const Language = Type.Union([Type.Literal('de'), Type.Literal('en')])
const ExecutionMode = Type.Union([Type.Literal('eco'), Type.Literal('fast')])

/** The run parameters of api.md §1, with the length limits from the settings. */
export function executeParams (limits: { input: number, context: number }) {
  return Type.Object({
    schema: Type.String({ minLength: 1, maxLength: 200 }),
    input_text: Type.String({ minLength: 1, maxLength: limits.input }),
    context_prompt: Type.Optional(Type.String({ maxLength: limits.context })),
    safety_level: Type.Optional(SafetyLevel),
    execution_mode: Type.Optional(ExecutionMode),
    user_language: Type.Optional(Language),
    enable_streaming: Type.Optional(Type.Boolean())
  }, { additionalProperties: true })
}

export type ExecuteParams = Static<ReturnType<typeof executeParams>>

export const ErrorBody = Type.Object({
  status: Type.Literal('error'),
  error: Type.String(),
  code: Type.String()
}, { additionalProperties: true })

const Bilingual = Type.Object({ en: Type.String(), de: Type.String() })

export const InfoResponse = Type.Object({
  status: Type.Literal('success'),
  schemas_available: Type.Integer(),
  schemas: Type.Array(Type.String()),
  engine_status: Type.Literal('initialized')
})

export const SchemasResponse = Type.Object({
  status: Type.Literal('success'),
  schemas: Type.Array(Type.Object({
    name: Type.String(),
    display_name: Bilingual,
    description: Bilingual,
    pipeline_name: Type.String(),
    chunks: Type.Array(Type.String()),
    parameters: Type.Record(Type.String(), Type.Unknown()),
    meta: Type.Record(Type.String(), Type.Unknown())
  }))
})
