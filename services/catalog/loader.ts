import { readdir, readFile } from 'node:fs/promises'
import { basename, join, relative, sep } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import { AppError } from '../errors.js'
import { ChunkSchema, ConfigSchema, PipelineSchema, type Chunk, type Config, type Pipeline } from './schemas.js'
import { KNOWN_PLACEHOLDERS, placeholdersOf, templateText } from './placeholders.js'
import { Catalog, type CatalogConfig } from './catalog.js'
import { checkAvailability, type BackendSupport } from './availability.js'

const SKIP = /deactivated|deprecated|archive/i

/**
 * One problem in one file. `invalid`: the file is not JSON or breaks the schema, so it was
 * not loaded. `unavailable`: it loaded, but cannot run here (a backend this server lacks, a
 * missing chunk, a workflow mapping into a node that is not there); `entry` names the config
 * or chunk that is kept out of the runnable catalog.
 */
export interface CatalogProblem { file: string, field: string, message: string, kind: 'invalid' | 'unavailable', entry?: string }

export class CatalogError extends AppError {
  readonly problems: CatalogProblem[]
  constructor (problems: CatalogProblem[]) {
    super('CATALOG_INVALID', `The catalog has ${problems.length} problem(s):\n  ${formatProblems(problems).join('\n  ')}`, 500)
    this.problems = problems
  }
}

export function formatProblems (problems: CatalogProblem[]): string[] {
  return problems.map((p) => `${p.kind === 'invalid' ? 'INVALID    ' : 'UNAVAILABLE'} ${p.file}: ${p.field}: ${p.message}`)
}

export interface LoadOptions {
  /** Refuse to load on any problem (CATALOG_STRICT). Default: keep the valid rest. */
  strict?: boolean
  /** Which backends this server runs; default: Ollama, ComfyUI, code. */
  backends?: BackendSupport
}

/**
 * Reads `chunks/`, `pipelines/` and `configs/` below `dir` and validates every file against
 * its schema and every reference between them. A broken file is reported by file and field
 * and left out; an entry that cannot run here is kept as unavailable with its reason. One
 * teacher's typo never takes the server down, unless `strict` asks for exactly that.
 */
export async function loadCatalog (dir: string, opts: LoadOptions = {}): Promise<Catalog> {
  const problems: CatalogProblem[] = []
  const chunks = new Map<string, Chunk>()
  const pipelines = new Map<string, Pipeline>()
  const configs = new Map<string, CatalogConfig>()
  const chunkFiles = new Map<string, string>()
  const pipelineFiles = new Map<string, string>()

  for (const file of await jsonFiles(join(dir, 'chunks'))) {
    const raw = await readValid<Chunk>(dir, file, ChunkSchema, problems)
    if (raw === undefined) continue
    // The workshop's proxy chunks carry no name: the file name is the name.
    const chunk = { ...raw, name: raw.name ?? basename(file, '.json') }
    if (addUnique(chunks, chunk.name, chunk, rel(dir, file), 'chunk', problems)) chunkFiles.set(chunk.name, rel(dir, file))
  }
  for (const file of await jsonFiles(join(dir, 'pipelines'))) {
    const raw = await readValid<Pipeline>(dir, file, PipelineSchema, problems)
    if (raw === undefined) continue
    const pipeline = { ...raw, name: raw.name ?? basename(file, '.json') }
    if (addUnique(pipelines, pipeline.name, pipeline, rel(dir, file), 'pipeline', problems)) pipelineFiles.set(pipeline.name, rel(dir, file))
  }
  const configsDir = join(dir, 'configs')
  for (const file of await jsonFiles(configsDir)) {
    const config = await readValid<Config>(dir, file, ConfigSchema, problems)
    if (config === undefined) continue
    const id = configId(relative(configsDir, file))
    addUnique(configs, id, { ...config, id, file: rel(dir, file) }, rel(dir, file), 'config', problems)
  }

  // Chunk by chunk: what would only fail when a child presses "start" is found now.
  const brokenChunks = new Map<string, string>()
  const parameterNames = new Set<string>()
  for (const config of configs.values()) for (const key of Object.keys(config.parameters ?? {})) parameterNames.add(key.toUpperCase())
  for (const chunk of chunks.values()) {
    const file = chunkFiles.get(chunk.name) ?? `chunks/${chunk.name}`
    const flag = (field: string, message: string): void => {
      problems.push({ file, field, message, kind: 'unavailable', entry: `chunk ${chunk.name}` })
      if (!brokenChunks.has(chunk.name)) brokenChunks.set(chunk.name, message)
    }
    for (const [key, mapping] of Object.entries(chunk.input_mappings ?? {})) {
      if (typeof mapping === 'string' || chunk.workflow === undefined) continue
      for (const m of Array.isArray(mapping) ? mapping : [mapping]) {
        if (m.node_id !== undefined && chunk.workflow[String(m.node_id)] === undefined) flag(`/input_mappings/${key}/node_id`, `node ${String(m.node_id)} is not in the workflow`)
      }
    }
    // An unknown placeholder would otherwise reach the model as a literal `{{TYPO}}`.
    for (const name of placeholdersOf(templateText(chunk.template))) {
      if (!KNOWN_PLACEHOLDERS.has(name) && !parameterNames.has(name)) flag('/template', `unknown placeholder {{${name}}}`)
    }
  }

  // A pipeline naming a chunk that is not there: reported here, and its configs are unavailable.
  for (const [name, pipeline] of pipelines) {
    pipeline.chunks.forEach((c, i) => {
      if (!chunks.has(c)) problems.push({ file: pipelineFiles.get(name) ?? `pipelines/${name}`, field: `/chunks/${i}`, message: `unknown chunk "${c}"`, kind: 'unavailable', entry: `pipeline ${name}` })
    })
  }

  const catalog = new Catalog(dir, chunks, pipelines, configs)
  const unavailable = checkAvailability(catalog, brokenChunks, opts.backends)
  for (const [id, u] of unavailable) problems.push({ file: configs.get(id)?.file ?? id, field: u.field, message: u.reason, kind: 'unavailable', entry: id })
  catalog.setProblems(problems, new Map([...unavailable].map(([id, u]) => [id, u.reason])))
  if (opts.strict === true && problems.length > 0) throw new CatalogError(problems)
  return catalog
}

/** pipeline.md's id rules. */
export function configId (relPath: string): string {
  const parts = relPath.replace(/\.json$/i, '').split(sep).join('/').split('/')
  if (parts.length === 2 && (parts[0] === 'interception' || parts[0] === 'output')) return parts[1] as string
  if (parts.length === 3 && parts[0] === 'user_configs') return `u_${parts[1] as string}_${parts[2] as string}`
  return parts.join('/')
}

async function jsonFiles (dir: string): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: string[] = []
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (SKIP.test(e.name) || e.name.startsWith('.')) continue
    const full = join(dir, e.name)
    if (e.isDirectory()) out.push(...await jsonFiles(full))
    else if (e.isFile() && e.name.toLowerCase().endsWith('.json')) out.push(full)
  }
  return out
}

async function readValid<T> (dir: string, file: string, schema: TSchema, problems: CatalogProblem[]): Promise<T | undefined> {
  const name = rel(dir, file)
  let data: unknown
  try {
    data = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    problems.push({ file: name, field: '(file)', message: `not valid JSON: ${(err as Error).message}`, kind: 'invalid' })
    return undefined
  }
  const errors = [...Value.Errors(schema, data)]
  if (errors.length === 0) return data as T
  // Union errors repeat themselves per branch; one line per field is what a person needs.
  const seen = new Set<string>()
  for (const e of errors) {
    const field = e.path === '' ? '/' : e.path
    if (seen.has(field)) continue
    seen.add(field)
    problems.push({ file: name, field, message: e.message, kind: 'invalid' })
  }
  return undefined
}

const origins = new WeakMap<Map<string, unknown>, Map<string, string>>()

function addUnique<T> (map: Map<string, T>, key: string, value: T, file: string, kind: string, problems: CatalogProblem[]): boolean {
  let files = origins.get(map)
  if (files === undefined) { files = new Map(); origins.set(map, files) }
  const first = files.get(key)
  if (first !== undefined) {
    problems.push({ file, field: kind === 'config' ? '(id)' : '/name', message: `duplicate ${kind} "${key}", also defined in ${first}; this one is ignored`, kind: 'invalid' })
    return false
  }
  map.set(key, value)
  files.set(key, file)
  return true
}

function rel (dir: string, file: string): string {
  return relative(dir, file).split(sep).join('/')
}
