import { AppError } from '../errors.js'

/** One target of an input mapping, as the workshop's chunks write it. */
export interface MappingSpec {
  node_id?: string | number
  field?: string
  source?: string
  default?: unknown
  required?: boolean
  /** Template form: the placeholder to replace (default `{{KEY}}`). */
  template?: string
  [extra: string]: unknown
}

/** An input mapping: an object, a list of objects (one value, several nodes), or a legacy string. */
export type InputMapping = MappingSpec | MappingSpec[] | string

/** The part of a chunk mapWorkflow needs. */
export interface WorkflowChunk {
  name: string
  workflow?: Record<string, unknown>
  input_mappings?: Record<string, InputMapping | unknown>
}

type Graph = Record<string, { class_type?: string, inputs?: Record<string, unknown>, [k: string]: unknown }>

const IMAGE_KEY = /^input_image(\d*)$/

/**
 * Puts values (prompt, negative_prompt, seed, width, lyrics, uploaded image names ...) into a
 * copy of the chunk's workflow graph. The forms a mapping takes in the workshop's files, and
 * what each means (as its Python backend router applies them):
 * - `{node_id, field: "inputs.text", default?}`: set that field of that node; a value the run
 *   does not supply falls back to `default`; neither: the workflow's own value stays.
 * - a list of such objects: the same value goes to every node listed.
 * - an object without `node_id` (template form): every string in the graph equal to or containing
 *   the placeholder `template` (default `{{KEY}}` with the key upper-cased) gets the value.
 * - a plain string (legacy): "<node_id>.<field path>" when the graph has that node (e.g.
 *   "10.inputs.value", or "10.value", taken as inputs.value), otherwise a placeholder as above
 *   (e.g. "{{PROMPT}}").
 * Image keys (`input_image`, `input_image1..N`) get the names ComfyUI gave the uploads. A
 * LoadImage mapping left without a picture is removed with the nodes that only feed from it, so
 * a multi-image workflow runs with fewer pictures; a required one (`required: true`; by default
 * `input_image` and `input_image1`) is an error.
 */
export function mapWorkflow (chunk: WorkflowChunk, values: Record<string, unknown>): Record<string, unknown> {
  if (chunk.workflow === undefined) throw new AppError('CATALOG_INVALID', `chunk ${chunk.name} has no ComfyUI workflow`, 500)
  let graph = structuredClone(chunk.workflow) as Graph
  const unused: string[] = []
  for (const [key, raw] of Object.entries(chunk.input_mappings ?? {})) {
    const specs = normalize(key, raw, graph)
    const image = IMAGE_KEY.exec(key)
    for (const spec of specs) {
      const value = values[key] ?? (image === null ? spec.default : undefined)
      if (image !== null && (value === undefined || value === '')) {
        // The single picture and the first of several are needed unless the chunk says otherwise.
        if (spec.required ?? (image[1] === '' || image[1] === '1')) {
          throw new AppError('BAD_REQUEST', `${chunk.name} needs a picture (${key}) and none was given`, 400)
        }
        if (spec.node_id !== undefined) unused.push(String(spec.node_id))
        continue
      }
      if (value === undefined) continue
      if (spec.node_id === undefined) { graph = replacePlaceholder(graph, spec.template ?? `{{${key.toUpperCase()}}}`, value); continue }
      setField(chunk.name, key, graph, String(spec.node_id), spec.field ?? 'inputs.value', value)
    }
  }
  return unused.length === 0 ? graph : removeUnused(graph, unused)
}

function normalize (key: string, raw: unknown, graph: Graph): MappingSpec[] {
  if (Array.isArray(raw)) return raw.filter((x): x is MappingSpec => typeof x === 'object' && x !== null)
  if (typeof raw === 'object' && raw !== null) return [raw as MappingSpec]
  if (typeof raw !== 'string' || raw === '') return []
  const dot = raw.indexOf('.')
  // Node ids may themselves hold ':' ("115:111") but not '.', so the first dot splits.
  if (dot > 0 && !raw.includes('{{') && graph[raw.slice(0, dot)] !== undefined) {
    const path = raw.slice(dot + 1)
    return [{ node_id: raw.slice(0, dot), field: path.startsWith('inputs.') ? path : `inputs.${path}` }]
  }
  return [{ template: raw.includes('{{') ? raw : `{{${key.toUpperCase()}}}` }]
}

function setField (chunkName: string, key: string, graph: Graph, nodeId: string, field: string, value: unknown): void {
  const node = graph[nodeId]
  if (node === undefined) throw new AppError('CATALOG_INVALID', `chunk ${chunkName}: input "${key}" names node ${nodeId}, which the workflow lacks`, 500)
  const path = field.split('.')
  let target: Record<string, unknown> = node
  for (const part of path.slice(0, -1)) {
    if (part === '__proto__' || part === 'constructor' || part === 'prototype') return
    if (typeof target[part] !== 'object' || target[part] === null) target[part] = {}
    target = target[part] as Record<string, unknown>
  }
  const last = path.at(-1) as string
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') return
  target[last] = value
}

/** Replaces a placeholder in every string of the graph: a whole-string match keeps the value's type. */
function replacePlaceholder (graph: Graph, placeholder: string, value: unknown): Graph {
  const walk = (x: unknown): unknown => {
    if (typeof x === 'string') {
      if (x === placeholder) return value
      return x.includes(placeholder) ? x.split(placeholder).join(String(value)) : x
    }
    if (Array.isArray(x)) return x.map(walk)
    if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]))
    return x
  }
  return walk(graph) as Graph
}

/** A link in ComfyUI's API format: [source node id, output index]. */
function isLink (v: unknown): v is [string, number] {
  return Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || typeof v[0] === 'number') && typeof v[1] === 'number'
}

/**
 * Removes the given nodes and, repeatedly, every node whose links all came from removed ones.
 * A node that still has other links keeps running, with the inputs from removed nodes dropped
 * (the optional image2/image3 of a multi-image encoder).
 */
function removeUnused (graph: Graph, ids: string[]): Graph {
  const removed = new Set(ids.filter((id) => graph[id] !== undefined))
  for (let changed = true; changed;) {
    changed = false
    for (const [id, node] of Object.entries(graph)) {
      if (removed.has(id)) continue
      const links = Object.values(node.inputs ?? {}).filter(isLink)
      if (links.length > 0 && links.every((l) => removed.has(String(l[0])))) { removed.add(id); changed = true }
    }
  }
  const out: Graph = {}
  for (const [id, node] of Object.entries(graph)) {
    if (removed.has(id)) continue
    const inputs = Object.fromEntries(Object.entries(node.inputs ?? {}).filter(([, v]) => !(isLink(v) && removed.has(String(v[0])))))
    out[id] = { ...node, inputs }
  }
  return out
}

/** How many pictures a workflow cannot run without (its required image mappings), checked before a run starts. */
export function requiredPictures (chunk: WorkflowChunk): number {
  let n = 0
  for (const [key, raw] of Object.entries(chunk.input_mappings ?? {})) {
    const image = IMAGE_KEY.exec(key)
    if (image === null) continue
    const specs = Array.isArray(raw) ? raw : [raw]
    const required = specs.some((spec) => typeof spec === 'object' && spec !== null ? ((spec as MappingSpec).required ?? (image[1] === '' || image[1] === '1')) : (image[1] === '' || image[1] === '1'))
    if (required) n++
  }
  return n
}
