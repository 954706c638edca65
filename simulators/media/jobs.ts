import { SAVE_NODES, savedFile } from './files.js'

/** A workflow graph in ComfyUI's API format. */
export type Graph = Record<string, { class_type?: string, inputs?: Record<string, unknown> }>

const CONTENT_TYPES: Record<string, string> = { png: 'image/png', webp: 'image/webp', mp4: 'video/mp4', webm: 'video/webm', mp3: 'audio/mpeg', flac: 'audio/flac', wav: 'audio/wav' }

/**
 * What POST /prompt refuses, in ComfyUI's words (execution.py validate_prompt): no output node,
 * a class it does not have, a choice (model file, input picture) not in its list. Checked against
 * the simulator's own /object_info, so what it lists and what it runs agree.
 */
export function validatePrompt (prompt: Graph | undefined, objectInfo: Record<string, unknown>): Record<string, unknown> | undefined {
  const error = (type: string, message: string, nodeErrors: Record<string, unknown> = {}): Record<string, unknown> => ({ error: { type, message, details: '', extra_info: {} }, node_errors: nodeErrors })
  if (typeof prompt !== 'object' || prompt === null || Object.keys(prompt).length === 0) return error('prompt_no_outputs', 'Prompt has no outputs')
  for (const [id, node] of Object.entries(prompt)) {
    const cls = String(node?.class_type)
    const info = objectInfo[cls] as { input?: { required?: Record<string, unknown> } } | undefined
    if (info === undefined) return error('invalid_prompt', `Cannot execute because node ${cls} does not exist.`, {})
    for (const [input, value] of Object.entries(node?.inputs ?? {})) {
      const spec = info.input?.required?.[input]
      const choices = Array.isArray(spec) && Array.isArray(spec[0]) ? spec[0] as unknown[] : undefined
      if (typeof value === 'string' && choices !== undefined && !choices.includes(value)) {
        return error('prompt_outputs_failed_validation', 'Prompt outputs failed validation', { [id]: { errors: [{ type: 'value_not_in_list', message: 'Value not in list', details: `${input}: '${value}' not in list` }], dependent_outputs: [], class_type: cls } })
      }
    }
  }
  if (!Object.values(prompt).some((n) => SAVE_NODES[String(n?.class_type)] !== undefined || n?.class_type === 'PreviewImage')) return error('prompt_no_outputs', 'Prompt has no outputs')
  return undefined
}

/**
 * The files a finished job's save nodes write, and its history `outputs`: each save node one
 * file, named like ComfyUI names them (prefix, counter, subfolder from a "video/ComfyUI" prefix);
 * PreviewImage writes a temp file.
 */
export async function renderOutputs (prompt: Graph, size: number, nextNumber: () => number): Promise<{ outputs: Record<string, Record<string, unknown>>, files: Array<{ key: string, data: Buffer, contentType: string }> }> {
  const text = Object.values(prompt).map((n) => n.inputs?.value ?? n.inputs?.text ?? n.inputs?.prompt ?? n.inputs?.tags).filter((v) => typeof v === 'string').join(' ')
  const seed = Object.values(prompt).map((n) => n.inputs?.seed ?? n.inputs?.noise_seed).find((v) => typeof v === 'number') as number | undefined
  const outputs: Record<string, Record<string, unknown>> = {}
  const files: Array<{ key: string, data: Buffer, contentType: string }> = []
  for (const [id, node] of Object.entries(prompt)) {
    const cls = String(node.class_type)
    const save = SAVE_NODES[cls] ?? (cls === 'PreviewImage' ? { kind: 'png' as const, key: 'images' as const } : undefined)
    if (save === undefined) continue
    const type = cls === 'PreviewImage' ? 'temp' : 'output'
    const prefix = String(node.inputs?.filename_prefix ?? 'ComfyUI')
    const subfolder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : ''
    const filename = `${prefix.slice(prefix.lastIndexOf('/') + 1)}_${String(nextNumber()).padStart(5, '0')}_.${save.kind}`
    files.push({ key: `${type}/${subfolder}/${filename}`, data: await savedFile(save.kind, seed ?? 0, text, size), contentType: CONTENT_TYPES[save.kind] ?? 'application/octet-stream' })
    const output: Record<string, unknown> = { [save.key]: [{ filename, subfolder, type }] }
    if (save.animated === true) output.animated = [true]
    outputs[id] = output
  }
  return { outputs, files }
}
