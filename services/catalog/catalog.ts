import { bilingual, localize, type Lang, type Localized } from '../i18n.js'
import type { Chunk, Config, Pipeline, Stage } from './schemas.js'
import type { CatalogProblem } from './loader.js'

export interface CatalogConfig extends Config {
  id: string
  /** Path below the catalog directory, for messages. */
  file: string
}

/** The loaded, validated catalog: read-only lookups, no I/O. */
export class Catalog {
  readonly #systemConfigs = new Map<Stage, CatalogConfig | undefined>()
  #problems: CatalogProblem[] = []
  #unavailable = new Map<string, string>()

  constructor (
    readonly dir: string,
    readonly chunks: ReadonlyMap<string, Chunk>,
    readonly pipelines: ReadonlyMap<string, Pipeline>,
    readonly configs: ReadonlyMap<string, CatalogConfig>
  ) {}

  /** A config's stage: `meta.stage`, else its folder, else (legacy top-level files) interception. */
  stageOf (config: CatalogConfig): Stage {
    if (config.meta?.stage !== undefined) return config.meta.stage
    const folder = config.id.includes('/') ? config.id.split('/')[0] : config.file.split('/')[1]
    if (folder === 'output' || folder === 'pre_interception' || folder === 'pre_output') return folder
    return 'interception'
  }

  /** Set once by the loader: what was skipped as invalid, and which configs cannot run here. */
  setProblems (problems: CatalogProblem[], unavailable: Map<string, string>): void {
    this.#problems = problems
    this.#unavailable = unavailable
  }

  get problems (): readonly CatalogProblem[] { return this.#problems }

  /** Why a config that loaded cannot run here, or undefined when it can. */
  unavailableReason (id: string): string | undefined { return this.#unavailable.get(id) }

  /** The configs a student can pick for Stage 2, in display order. */
  interceptionConfigs (): CatalogConfig[] {
    return [...this.configs.values()]
      .filter((c) => this.#pickable(c))
      .sort((a, b) => (a.display?.order ?? 1000) - (b.display?.order ?? 1000) || a.id.localeCompare(b.id))
  }

  /** A config a student may run (not a system config), or undefined. */
  interceptionConfig (id: string): CatalogConfig | undefined {
    const config = this.configs.get(id)
    return config !== undefined && this.#pickable(config) ? config : undefined
  }

  #pickable (config: CatalogConfig): boolean {
    return this.stageOf(config) === 'interception' && config.meta?.system_pipeline !== true && !this.#unavailable.has(config.id)
  }

  /** An output config that can run here (Stage 4: which media, on which backend). */
  outputConfig (id: string): CatalogConfig | undefined {
    const config = this.configs.get(id)
    return config !== undefined && this.stageOf(config) === 'output' && !this.#unavailable.has(id) ? config : undefined
  }

  /** Every output config that loaded, runnable here or not (for the availability report). */
  outputConfigs (): CatalogConfig[] {
    return [...this.configs.values()].filter((c) => this.stageOf(c) === 'output')
  }

  /**
   * The chunk an output config renders with: the workshop names it in
   * `parameters.OUTPUT_CHUNK` (its pipeline then holds only a proxy chunk); otherwise the
   * last chunk of the pipeline that is not a proxy (older pipelines put a text step first).
   */
  outputChunkName (config: CatalogConfig): string | undefined {
    const named = config.parameters?.OUTPUT_CHUNK
    if (typeof named === 'string' && named !== '') return named
    return this.pipelines.get(config.pipeline)?.chunks.findLast((name) => this.chunks.get(name)?.type !== 'proxy_chunk')
  }

  outputChunk (config: CatalogConfig): Chunk | undefined {
    const name = this.outputChunkName(config)
    return name === undefined ? undefined : this.chunks.get(name)
  }

  /** The first config of a stage with `meta.system_pipeline` (e.g. the Stage 1 safety prompt). */
  systemConfig (stage: Stage): CatalogConfig | undefined {
    // Asked on every run; the catalog never changes after loading, so look once per stage.
    if (!this.#systemConfigs.has(stage)) {
      this.#systemConfigs.set(stage, [...this.configs.values()].find((c) => this.stageOf(c) === stage && c.meta?.system_pipeline === true && !this.#unavailable.has(c.id)))
    }
    return this.#systemConfigs.get(stage)
  }

  /** A config whose pipeline has no Stage 2 (the picture configs): the student's text goes on as it is. */
  skipsStage2 (config: CatalogConfig): boolean {
    const pipeline = this.pipelines.get(config.pipeline)
    return pipeline !== undefined && (pipeline.skip_stage2 === true || pipeline.meta?.skip_stage2 === true || pipeline.chunks.length === 0)
  }

  /** The first chunk of a config's pipeline: for Stage 2 the prompt template. */
  firstChunk (config: CatalogConfig): Chunk | undefined {
    const name = this.pipelines.get(config.pipeline)?.chunks[0]
    return name === undefined ? undefined : this.chunks.get(name)
  }

  contextOf (config: CatalogConfig, lang: Lang): string {
    return localize(config.context as Localized | undefined, lang)
  }

  /** The shape of `GET /api/schema/schemas` (api.md §4). */
  describe (config: CatalogConfig): Record<string, unknown> {
    const pipeline = this.pipelines.get(config.pipeline)
    return {
      name: config.id,
      display_name: bilingual(config.name as Localized),
      description: bilingual(config.description as Localized | undefined),
      pipeline_name: config.pipeline,
      chunks: pipeline?.chunks ?? [],
      parameters: config.parameters ?? {},
      meta: config.meta ?? {}
    }
  }

  counts (): { chunks: number, pipelines: number, configs: number, interception: number, outputs: number, unavailable: number, invalid_files: number } {
    const invalid = new Set(this.#problems.filter((p) => p.kind === 'invalid').map((p) => p.file))
    return {
      chunks: this.chunks.size,
      pipelines: this.pipelines.size,
      configs: this.configs.size,
      interception: this.interceptionConfigs().length,
      outputs: this.outputConfigs().filter((c) => !this.#unavailable.has(c.id)).length,
      unavailable: this.#unavailable.size,
      invalid_files: invalid.size
    }
  }
}
