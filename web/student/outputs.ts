import { json } from '../dom'

/** What a medium button makes; decides the label and whether a picture must be dropped in. */
export type Kind = 'image' | 'img2img' | 'video' | 'audio' | 'code'

export interface OutputChoice {
  id: string
  kind: Kind
  /** The output takes the student's picture (image-to-image, image-to-video). */
  needsImage: boolean
}

export interface ConfigInfo {
  id: string
  media_preferences?: { default_output?: string, supported_types?: string[], output_configs?: string[] }
}

/**
 * The kind of an output config, from what the public API says of it
 * (`GET /api/config/:id/pipeline`): the medium its chunk makes and how many pictures it takes.
 * A server that does not say (the older one) leaves the common words of its id and pipeline.
 */
export function kindOf (id: string, pipelineName: string, inputs: Record<string, unknown>, mediaType?: string): OutputChoice {
  const words = `${id} ${pipelineName}`.toLowerCase()
  const imageInputs = ['image', 'images', 'input_image', 'input_images'].some((k) => Number(inputs[k] ?? 0) > 0)
  const needsImage = imageInputs || (mediaType === undefined && /img2img|i2i|image_to_image|image2image|i2v|image_to_video|img2vid/.test(words))
  let kind: Kind = 'image'
  if (mediaType === 'video' || mediaType === 'audio' || mediaType === 'code') kind = mediaType
  else if (mediaType === 'image') kind = needsImage ? 'img2img' : 'image'
  else if (/video|t2v|i2v|img2vid/.test(words)) kind = 'video'
  else if (/audio|music|sound|speech|tts/.test(words)) kind = 'audio'
  else if (/code|p5/.test(words)) kind = 'code'
  else if (needsImage) kind = 'img2img'
  return { id, kind, needsImage }
}

const described = new Map<string, Promise<OutputChoice>>()

async function describe (id: string): Promise<OutputChoice> {
  let p = described.get(id)
  if (p === undefined) {
    p = json(`/api/config/${encodeURIComponent(id)}/pipeline`).then(({ body }) =>
      kindOf(id, String(body?.pipeline_name ?? ''), (body?.input_requirements ?? {}) as Record<string, unknown>, typeof body?.media_type === 'string' ? body.media_type : undefined))
    described.set(id, p)
  }
  return await p
}

/**
 * The media the student can choose after Stage 2: every output `/api/models/availability`
 * marks available (the workshop app hides the others), the config's own preferences first.
 * A code config (p5.js sketcher) writes code, so it is offered code outputs only, and the
 * others no code output (prose is no sketch). Without the availability route, the config's
 * own output configs.
 */
export async function availableOutputs (config: ConfigInfo): Promise<OutputChoice[]> {
  const prefs = config.media_preferences ?? {}
  const preferred = prefs.output_configs ?? []
  let ids: string[]
  const { status, body } = await json('/api/models/availability')
  if (status === 200 && typeof body?.availability === 'object' && body.availability !== null) {
    ids = Object.entries(body.availability as Record<string, unknown>).filter(([, ok]) => ok === true).map(([id]) => id)
  } else {
    ids = preferred
  }
  ids.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  function rank (id: string): number {
    const i = preferred.indexOf(id)
    return i === -1 ? preferred.length : i
  }
  const wantsCode = prefs.default_output === 'code' || (prefs.supported_types ?? []).includes('code')
  const choices = await Promise.all(ids.map(describe))
  return choices.filter((c) => (c.kind === 'code') === wantsCode)
}
