import { Type, type Static } from '@sinclair/typebox'

export const SafetyLevel = Type.Union(['kids', 'youth', 'adult', 'off', 'open'].map((l) => Type.Literal(l)))
export const Language = Type.Union([Type.Literal('de'), Type.Literal('en')])
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
    enable_streaming: Type.Optional(Type.Boolean()),
    /** Repeat the text so far in every chunk event (off by default: O(n²) bytes). */
    accumulated: Type.Optional(Type.Boolean())
  }, { additionalProperties: true })
}

export type ExecuteParams = Static<ReturnType<typeof executeParams>>

/** The JSON run's extra body fields (api.md §2). */
export function executeBody (limits: { input: number, context: number }) {
  return Type.Composite([executeParams(limits), Type.Object({
    context_language: Type.Optional(Language),
    output_config: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    interception_result: Type.Optional(Type.String({ maxLength: limits.input * 4 })),
    optimization_result: Type.Optional(Type.String({ maxLength: limits.input * 4 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 })),
    stage4_only: Type.Optional(Type.Boolean()),
    ...InputImages
  })], { additionalProperties: true })
}

/**
 * The student's pictures for image-to-image, multi-image and image-to-video outputs: upload
 * ids (or the `image_path` token the upload answered), never server paths (api.md §2).
 */
const UploadToken = Type.String({ minLength: 1, maxLength: 200 })
export const InputImages = {
  input_image: Type.Optional(UploadToken),
  input_images: Type.Optional(Type.Array(UploadToken, { maxItems: 3 })),
  input_image1: Type.Optional(UploadToken),
  input_image2: Type.Optional(UploadToken),
  input_image3: Type.Optional(UploadToken)
}

/** The picture tokens of a request, in order: `input_image`, `input_images[]`, `input_image1..3`. */
export function imageTokens (body: { input_image?: string, input_images?: string[], input_image1?: string, input_image2?: string, input_image3?: string }): string[] {
  return [body.input_image, ...(body.input_images ?? []), body.input_image1, body.input_image2, body.input_image3].filter((x): x is string => x !== undefined && x !== '')
}

export type ExecuteBody = Static<ReturnType<typeof executeBody>>

export function stage2Body (limits: { input: number, context: number }) {
  return Type.Object({
    schema: Type.String({ minLength: 1, maxLength: 200 }),
    input_text: Type.String({ minLength: 1, maxLength: limits.input }),
    safety_level: Type.Optional(SafetyLevel),
    output_config: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    context_prompt: Type.Optional(Type.String({ maxLength: limits.context })),
    user_language: Type.Optional(Language),
    execution_mode: Type.Optional(Type.String({ maxLength: 20 }))
  }, { additionalProperties: true })
}

export function stage34Body (limits: { input: number }) {
  return Type.Object({
    stage2_result: Type.String({ minLength: 1, maxLength: limits.input * 4 }),
    output_config: Type.String({ minLength: 1, maxLength: 200 }),
    safety_level: Type.Optional(SafetyLevel),
    run_id: Type.Optional(Type.String({ maxLength: 100 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1 })),
    user_language: Type.Optional(Language),
    ...InputImages
  }, { additionalProperties: true })
}

export function optimizeBody (limits: { input: number }) {
  return Type.Object({
    input_text: Type.String({ minLength: 1, maxLength: limits.input * 4 }),
    output_config: Type.String({ minLength: 1, maxLength: 200 }),
    safety_level: Type.Optional(SafetyLevel),
    user_language: Type.Optional(Language)
  }, { additionalProperties: true })
}

/** `{success: false, error, code}`: the stage routes' envelope. */
export const FailBody = Type.Object({ success: Type.Literal(false), error: Type.String(), code: Type.String() }, { additionalProperties: true })

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
