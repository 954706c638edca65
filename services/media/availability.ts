/**
 * Whether a ComfyUI workflow can run on this ComfyUI, judged from GET /object_info.
 *
 * Shape (server.py node_info, nodes.py INPUT_TYPES): `{ <class>: { input: { required: {...},
 * optional: {...}, hidden: {...} }, output, name, ... } }`. An input spec is `[TYPE, {opts}]`
 * where TYPE is a type name ("STRING", "INT", "MODEL", ...) or, for a choice, the list of the
 * choices itself: CheckpointLoaderSimple's ckpt_name is `[["sd3.5_large.safetensors", ...], {}]`
 * (folder_paths.get_filename_list). Nodes on the newer schema (comfy_api, V3) write a choice as
 * `["COMBO", {"options": [...]}]`. Both are read here.
 */
export type ObjectInfo = Record<string, { input?: Record<string, Record<string, unknown> | undefined> } | undefined>

export type Availability = { ok: true } | { ok: false, reason: string }

/** File extensions of model weights: only such choice values are checked against the list. */
const MODEL_FILE = /\.(safetensors|ckpt|pt|pth|bin|gguf|sft|onnx)$/i

/**
 * Every node's class_type must exist, and every input set to a model file (an input whose spec
 * is a list of choices, such as ckpt_name, unet_name, clip_name1, vae_name, lora_name) must name
 * a file ComfyUI lists. Other choices (sampler_name, an uploaded image name) are not checked:
 * an image is uploaded at run time, a sampler name is not a missing download.
 */
export function workflowAvailability (workflow: Record<string, unknown>, objectInfo: ObjectInfo): Availability {
  const missingNodes = new Set<string>()
  const missingFiles = new Set<string>()
  for (const [id, raw] of Object.entries(workflow)) {
    const node = raw as { class_type?: unknown, inputs?: Record<string, unknown> } | null
    if (typeof node !== 'object' || node === null) continue
    const cls = node.class_type
    if (typeof cls !== 'string' || cls === '') return { ok: false, reason: `node ${id} has no class_type` }
    const info = objectInfo[cls]
    if (info === undefined) { missingNodes.add(cls); continue }
    for (const [name, value] of Object.entries(node.inputs ?? {})) {
      if (typeof value !== 'string' || !MODEL_FILE.test(value)) continue
      const choices = choicesOf(info.input, name)
      if (choices !== undefined && !choices.includes(value)) missingFiles.add(`${value} (${cls}.${name})`)
    }
  }
  const parts: string[] = []
  if (missingNodes.size > 0) parts.push(`ComfyUI lacks node type${missingNodes.size > 1 ? 's' : ''} ${[...missingNodes].join(', ')}`)
  if (missingFiles.size > 0) parts.push(`ComfyUI lacks model file${missingFiles.size > 1 ? 's' : ''} ${[...missingFiles].join(', ')}`)
  return parts.length === 0 ? { ok: true } : { ok: false, reason: parts.join('; ') }
}

/** The list of allowed values of one input, or undefined when it is not a choice. */
function choicesOf (input: Record<string, Record<string, unknown> | undefined> | undefined, name: string): string[] | undefined {
  for (const group of ['required', 'optional']) {
    const spec = input?.[group]?.[name]
    if (!Array.isArray(spec)) continue
    const [type, opts] = spec as [unknown, { options?: unknown } | undefined]
    if (Array.isArray(type)) return type.filter((x): x is string => typeof x === 'string')
    if (type === 'COMBO' && Array.isArray(opts?.options)) return opts.options.filter((x): x is string => typeof x === 'string')
    return undefined
  }
  return undefined
}
