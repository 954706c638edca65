import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import { AppError } from '../errors.js'
import { ChunkSchema, ConfigSchema, PipelineSchema, type Chunk, type Config, type Pipeline } from './schemas.js'
import { KNOWN_PLACEHOLDERS, placeholdersOf } from './placeholders.js'
import { Catalog, type CatalogConfig } from './catalog.js'

const SKIP = /deactivated|deprecated|archive/i

/** One problem in one file: the loader collects them all, then refuses to start. */
export interface CatalogProblem { file: string, field: string, message: string }

export class CatalogError extends AppError {
  readonly problems: CatalogProblem[]
  constructor (problems: CatalogProblem[]) {
    const lines = problems.map((p) => `${p.file}: ${p.field}: ${p.message}`)
    super('CATALOG_INVALID', `The catalog is invalid:\n  ${lines.join('\n  ')}`, 500)
    this.problems = problems
  }
}

/**
 * Reads `chunks/`, `pipelines/` and `configs/` below `dir`, validates every file against its
 * schema and every reference between them, and returns the catalog or throws a CatalogError
 * that names each bad file and field. Directories and files named deactivated / deprecated /
 * archive are skipped, as the workshop catalogs expect.
 */
export async function loadCatalog (dir: string): Promise<Catalog> {
  const problems: CatalogProblem[] = []
  const chunks = new Map<string, Chunk>()
  const pipelines = new Map<string, Pipeline>()
  const configs = new Map<string, CatalogConfig>()

  for (const file of await jsonFiles(join(dir, 'chunks'))) {
    const chunk = await readValid<Chunk>(dir, file, ChunkSchema, problems)
    if (chunk !== undefined) addUnique(chunks, chunk.name, chunk, rel(dir, file), 'chunk', problems)
  }
  for (const file of await jsonFiles(join(dir, 'pipelines'))) {
    const pipeline = await readValid<Pipeline>(dir, file, PipelineSchema, problems)
    if (pipeline !== undefined) addUnique(pipelines, pipeline.name, pipeline, rel(dir, file), 'pipeline', problems)
  }
  const configsDir = join(dir, 'configs')
  for (const file of await jsonFiles(configsDir)) {
    const config = await readValid<Config>(dir, file, ConfigSchema, problems)
    if (config === undefined) continue
    const id = configId(relative(configsDir, file))
    addUnique(configs, id, { ...config, id, file: rel(dir, file) }, rel(dir, file), 'config', problems)
  }

  // References: a config names a pipeline, a pipeline names chunks.
  for (const [name, pipeline] of pipelines) {
    pipeline.chunks.forEach((c, i) => {
      if (!chunks.has(c)) problems.push({ file: `pipelines/${name}`, field: `/chunks/${i}`, message: `unknown chunk "${c}"` })
    })
  }
  const parameterNames = new Set<string>()
  for (const config of configs.values()) {
    if (!pipelines.has(config.pipeline)) problems.push({ file: config.file, field: '/pipeline', message: `unknown pipeline "${config.pipeline}"` })
    for (const key of Object.keys(config.parameters ?? {})) parameterNames.add(key.toUpperCase())
  }
  // A mapping into a node the workflow lacks would fail only when a child presses "start".
  for (const chunk of chunks.values()) {
    if (chunk.workflow === undefined) continue
    for (const [key, mapping] of Object.entries(chunk.input_mappings ?? {})) {
      if (mapping.node_id !== undefined && chunk.workflow[String(mapping.node_id)] === undefined) {
        problems.push({ file: `chunks/${chunk.name}`, field: `/input_mappings/${key}/node_id`, message: `node ${String(mapping.node_id)} is not in the workflow` })
      }
    }
  }
  // An unknown placeholder would otherwise reach the model as a literal `{{TYPO}}`.
  for (const chunk of chunks.values()) {
    for (const name of placeholdersOf(chunk.template ?? '')) {
      if (!KNOWN_PLACEHOLDERS.has(name) && !parameterNames.has(name)) {
        problems.push({ file: `chunks/${chunk.name}`, field: '/template', message: `unknown placeholder {{${name}}}` })
      }
    }
  }

  if (problems.length > 0) throw new CatalogError(problems)
  return new Catalog(dir, chunks, pipelines, configs)
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
    problems.push({ file: name, field: '(file)', message: `not valid JSON: ${(err as Error).message}` })
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
    problems.push({ file: name, field, message: e.message })
  }
  return undefined
}

const origins = new WeakMap<Map<string, unknown>, Map<string, string>>()

function addUnique<T> (map: Map<string, T>, key: string, value: T, file: string, kind: string, problems: CatalogProblem[]): void {
  let files = origins.get(map)
  if (files === undefined) { files = new Map(); origins.set(map, files) }
  const first = files.get(key)
  if (first !== undefined) {
    problems.push({ file, field: kind === 'config' ? '(id)' : '/name', message: `duplicate ${kind} "${key}", also defined in ${first}` })
  } else {
    map.set(key, value)
    files.set(key, file)
  }
}

function rel (dir: string, file: string): string {
  return relative(dir, file).split(sep).join('/')
}
